"""The demo region: a deterministic county (or city, or province) with users for every role.

``jiceng demo`` builds the tree and users (``region.build``) and then runs each stage
listed in ``STAGES`` in order: each is a module ``jiceng.demo.<name>`` with a function
``populate(region: Region, rng: random.Random) -> None`` that adds its part (an evaluation
cycle in progress, a record set with indicators, ...). A stage must be deterministic
for a given seed.
"""

STAGES: list[str] = ["records", "cycle", "ledger"]
