"""Dashboards and the data visualizer: figures of every app, compared side by side."""
