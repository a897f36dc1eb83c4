"""jiceng: the platform for the Quality Service at the Grassroots campaign."""

__version__ = "0.1.0"
