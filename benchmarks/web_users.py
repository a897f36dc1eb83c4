"""The simulated users of ``benchmarks/web.py`` (a locustfile; run by web.py, not by hand).

Each user signs in as a demo persona, then reads the pages that persona uses every day,
with 1–3 s of think time, and now and then writes what that persona writes:

* institution staff (each its own account and its own draft self-assessment): home,
  self-assessment list, their submission, their ledger entries, their indicators; saves one
  item's draft grade (the form's autosave);
* county reviewers: home, the cycle, a submission to review, the ledger, an entry, its summary,
  the visits; extend a ledger entry's deadline by a day with a note (each user its own entry);
* administrators and analysts of county, city and province: home, progress, publication,
  consistency, ledger summary, indicators, the tree;
* city and province reviewers: home, the cycle, progress, consistency, indicators.

The pages, accounts and objects come from the manifest web.py writes
(``JICENG_BENCH_MANIFEST``). Only the requests of the measured window (after every user
has signed in, for ``JICENG_BENCH_SECONDS``) are kept; they are written as JSON to
``JICENG_BENCH_OUT`` when the window ends, and locust stops.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import time

import gevent
from locust import FastHttpUser, between, events, task

MANIFEST = json.loads(open(os.environ["JICENG_BENCH_MANIFEST"]).read())
USERS = int(os.environ["JICENG_BENCH_USERS"])
SECONDS = float(os.environ["JICENG_BENCH_SECONDS"])
OUT = os.environ["JICENG_BENCH_OUT"]
PASSWORD = MANIFEST["password"]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')

_signed_in = 0
_window: dict[str, float] = {}
_samples: list[tuple[str, str, float, int, str]] = []  # (method, name, ms, status, error)
_counters: dict[str, itertools.count] = {}


def _next(kind: str) -> int:
    return next(_counters.setdefault(kind, itertools.count()))


@events.request.add_listener
def _on_request(request_type, name, response_time, response_length, response, exception, **kw):
    start = _window.get("start")
    if start is None or time.monotonic() > _window["end"]:
        return
    status = getattr(response, "status_code", 0) or 0
    error = ""
    if exception is not None:
        error = f"{type(exception).__name__}: {exception}"[:200]
    elif status >= 400:
        error = f"HTTP {status}"
    _samples.append((request_type, name, response_time, status, error))


def _signed_in_one(environment) -> None:
    """Count a finished login; the window opens when every user has signed in."""
    global _signed_in
    _signed_in += 1
    if _signed_in == USERS and "start" not in _window:
        now = time.monotonic()
        _window.update(start=now, end=now + SECONDS, wall_start=time.time())
        gevent.spawn_later(SECONDS + 0.5, _finish, environment)


def _finish(environment) -> None:
    with open(OUT, "w") as f:
        json.dump(
            {
                "seconds": SECONDS,
                "wall_start": _window["wall_start"],
                "samples": _samples,
                "users": USERS,
            },
            f,
        )
    environment.runner.quit()


class Persona(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    network_timeout = 120.0
    connection_timeout = 120.0
    kind = ""

    def on_start(self) -> None:
        """Sign in (a password hash costs about half a second of a core: 100 of them queue up
        on a small server, so a refused or timed-out login is tried again)."""
        self.account = self.pick_account()
        for _attempt in range(10):
            if self.sign_in():
                break
            gevent.sleep(random.uniform(1, 5))
        _signed_in_one(self.environment)

    def sign_in(self) -> bool:
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text or "")
        if not token:
            return False
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.account,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1),
            },
            name="login",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or 'name="password"' in (response.text or ""):
                response.failure(f"login of {self.account} refused")
                return False
        return True

    def pick_account(self) -> str:
        accounts = MANIFEST["accounts"][self.kind]
        return accounts[_next(self.kind) % len(accounts)]

    def get(self, url: str, name: str):
        return self.client.get(url, name=name)


class InstitutionStaff(Persona):
    weight = 40
    kind = "staff"

    def pick_account(self) -> str:
        i = _next(self.kind)
        self.mine = MANIFEST["staff"][i % len(MANIFEST["staff"])]
        self.version = None
        self.csrf = None
        return self.mine["username"]

    @task(3)
    def home(self):
        self.get("/", "home")

    @task(2)
    def evaluation(self):
        self.get("/evaluation/", "evaluation index")

    @task(3)
    def submission(self):
        page = self.get(f"/evaluation/s/{self.mine['submission']}/", "submission")
        text = page.text or ""
        if m := VERSION.search(text):
            self.version = m.group(1)
        if m := CSRF.search(text):
            self.csrf = m.group(1)

    @task(2)
    def ledger(self):
        self.get("/rectification/", "ledger")

    @task(1)
    def indicators(self):
        self.get(f"/indicators/node/{self.mine['institution']}/", "indicators node")

    @task(3)
    def save_draft_grade(self):
        if self.version is None or self.csrf is None:
            return self.submission()
        item = random.choice(self.mine["items"])
        with self.client.post(
            f"/evaluation/s/{self.mine['submission']}/draft/",
            data={
                "item": item,
                "grade": random.choice(self.mine["grades"]),
                "version": self.version,
                "csrfmiddlewaretoken": self.csrf,
            },
            headers={"X-CSRFToken": self.csrf},
            name="WRITE draft grade",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.version = str(response.json()["version"])
            else:
                self.version = None  # read the page again before the next save


class CountyReviewer(Persona):
    weight = 20
    kind = "county_reviewer"

    def on_start(self) -> None:
        super().on_start()
        i = _next("entries")
        self.entry = MANIFEST["entries"][i % len(MANIFEST["entries"])]
        self.deadline = dt.date.fromisoformat(self.entry["deadline"])
        self.csrf = None
        self.review = MANIFEST["review_submissions"][i % len(MANIFEST["review_submissions"])]

    @task(3)
    def home(self):
        self.get("/", "home")

    @task(1)
    def cycle(self):
        self.get(f"/evaluation/cycles/{MANIFEST['cycle']}/", "cycle")

    @task(2)
    def submission(self):
        self.get(f"/evaluation/s/{self.review}/", "submission")

    @task(2)
    def ledger(self):
        self.get("/rectification/", "ledger")

    @task(2)
    def entry_page(self):
        page = self.get(f"/rectification/{self.entry['pk']}/", "ledger entry")
        if m := CSRF.search(page.text or ""):
            self.csrf = m.group(1)

    @task(1)
    def summary(self):
        self.get("/rectification/summary/", "ledger summary")

    @task(1)
    def visits(self):
        self.get("/rectification/visits/", "visits")

    @task(1)
    def extend_deadline(self):
        """A day more for this user's own entry, with the reason (an audited ledger note)."""
        if self.csrf is None:
            return self.entry_page()
        new = self.deadline + dt.timedelta(days=1)
        with self.client.post(
            f"/rectification/{self.entry['pk']}/extend/",
            data={
                "deadline": new.isoformat(),
                "reason": "压力测试：延期一天",
                "csrfmiddlewaretoken": self.csrf,
            },
            name="WRITE extend deadline",
            catch_response=True,
        ) as response:
            if response.status_code == 200:  # redirected to the entry: saved
                self.deadline = new


class Administrator(Persona):
    weight = 25
    kind = "admin"

    @task(3)
    def home(self):
        self.get("/", "home")

    @task(2)
    def progress(self):
        self.get("/evaluation/progress/", "progress")

    @task(1)
    def publication(self):
        self.get("/evaluation/publication/", "publication")

    @task(1)
    def consistency(self):
        self.get("/evaluation/consistency/", "consistency")

    @task(1)
    def summary(self):
        self.get("/rectification/summary/", "ledger summary")

    @task(1)
    def indicators(self):
        self.get("/indicators/", "indicators index")

    @task(1)
    def indicators_node(self):
        region = random.choice(MANIFEST["regions_of"][self.account])
        self.get(f"/indicators/node/{region}/", "indicators node")

    @task(1)
    def tree(self):
        self.get("/orgs/", "tree")


class HigherReviewer(Persona):
    weight = 15
    kind = "higher_reviewer"

    @task(3)
    def home(self):
        self.get("/", "home")

    @task(1)
    def evaluation(self):
        self.get("/evaluation/", "evaluation index")

    @task(1)
    def cycle(self):
        self.get(f"/evaluation/cycles/{MANIFEST['cycle']}/", "cycle")

    @task(2)
    def progress(self):
        self.get("/evaluation/progress/", "progress")

    @task(1)
    def consistency(self):
        self.get("/evaluation/consistency/", "consistency")

    @task(1)
    def indicators_node(self):
        region = random.choice(MANIFEST["regions_of"][self.account])
        self.get(f"/indicators/node/{region}/", "indicators node")
