"""Throttling of failed logins and bad API tokens, shared by every server process.

Each account and each client address has a counter row (``LoginThrottle``). When a key
collects ``limit`` failures within the window it is locked: the first lock lasts
``JICENG_LOGIN_LOCK_SECONDS``, each further one twice as long as the one before, up to
``JICENG_LOGIN_MAX_LOCK_SECONDS``. While a key is locked nothing is checked at all, so the
right password does not get in either. A successful login clears its account's counter.
The rules are described for operators in ``docs/login-security.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jiceng.accounts.models import LoginThrottle


@dataclass(frozen=True)
class Rule:
    prefix: str
    setting: str

    @property
    def limit(self) -> int:
        return max(1, int(getattr(settings, self.setting)))

    def key(self, value: str) -> str:
        return f"{self.prefix}:{value}"[:200]


ACCOUNT = Rule("account", "JICENG_LOGIN_MAX_FAILURES")
LOGIN_ADDRESS = Rule("login-address", "JICENG_LOGIN_MAX_FAILURES_PER_ADDRESS")
TOKEN_ADDRESS = Rule("token-address", "JICENG_TOKEN_MAX_FAILURES_PER_ADDRESS")


def client_address(request) -> str:
    """The client's IP address.

    ``REMOTE_ADDR``, unless ``JICENG_TRUSTED_PROXIES`` = N > 0 says that N reverse proxies
    stand in front: then the N-th address from the right of ``X-Forwarded-For`` (the one the
    outermost trusted proxy saw). Never trust the header without that setting: anyone can
    send it.
    """
    remote = (request.META.get("REMOTE_ADDR") or "").strip() or "unknown"
    proxies = int(getattr(settings, "JICENG_TRUSTED_PROXIES", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) >= proxies:
        return forwarded[-proxies][:64]
    return remote


def _lock_length(lockouts: int) -> dt.timedelta:
    base = int(settings.JICENG_LOGIN_LOCK_SECONDS)
    longest = int(settings.JICENG_LOGIN_MAX_LOCK_SECONDS)
    return dt.timedelta(seconds=min(longest, base * 2 ** min(lockouts, 30)))


def seconds_locked(keys: list[str]) -> int:
    """How long the longest lock among ``keys`` still lasts, in whole seconds (0: none)."""
    now = timezone.now()
    until = (
        LoginThrottle.objects.filter(key__in=keys, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    if until is None:
        return 0
    return max(1, math.ceil((until - now).total_seconds()))


def note_failure(pairs: list[tuple[Rule, str]]) -> int:
    """Count one failure on each (rule, value); returns the seconds of any lock it started."""
    now = timezone.now()
    window = dt.timedelta(seconds=int(settings.JICENG_LOGIN_WINDOW_SECONDS))
    locked = 0
    for rule, value in pairs:
        key = rule.key(value)
        LoginThrottle.objects.get_or_create(key=key)
        with transaction.atomic():
            row = LoginThrottle.objects.select_for_update().get(key=key)
            if row.locked_until and row.locked_until > now:
                continue  # already locked: the lock runs its course
            if row.window_start is None or now - row.window_start > window:
                # A quiet day forgives earlier lockouts.
                if row.locked_until is None or now - row.locked_until > dt.timedelta(days=1):
                    row.lockouts = 0
                row.window_start = now
                row.failures = 0
            row.failures += 1
            if row.failures >= rule.limit:
                length = _lock_length(row.lockouts)
                row.locked_until = now + length
                row.lockouts += 1
                row.failures = 0
                row.window_start = None
                locked = max(locked, int(length.total_seconds()))
            row.save()
    if random.random() < 0.02:
        forget_stale(now, window)
    return locked


def forget_stale(now: dt.datetime, window: dt.timedelta) -> int:
    """Delete counters with no recent failure and no lock in the last day (keeps it small)."""
    from django.db.models import Q

    day_ago = now - dt.timedelta(days=1)
    return LoginThrottle.objects.filter(
        Q(window_start__isnull=True) | Q(window_start__lt=now - window),
        Q(locked_until__isnull=True) | Q(locked_until__lt=day_ago),
    ).delete()[0]


def note_success(rule: Rule, value: str) -> None:
    """A correct login clears its account's counter and lockout history."""
    LoginThrottle.objects.filter(key=rule.key(value)).delete()


def account_value(username: str) -> str:
    return (username or "").strip().lower()


def minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))
