"""Login throttling per account and per client address.

LOGIN_MAX_FAILURES_PER_ACCOUNT failed logins for one username (or LOGIN_MAX_FAILURES_PER_ADDRESS
from one address) within LOGIN_FAILURE_WINDOW_S lock further logins for it for LOGIN_LOCKOUT_S,
even with the right password. The counters live in the database, so every web process (and
every web container) sees the same ones. A successful login clears its account's counter; an
address's counter only runs out with its window, so that one valid account cannot be used to
reset the count of a guessing client.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.enums import LoginFailureScope
from backend.accounts.models import LoginFailureCounter
from backend.common.exceptions import ApplicationError


class LoginThrottled(ApplicationError):
    status = 429


@dataclass(frozen=True)
class Lockout:
    scope: str
    until: datetime

    def retry_after_s(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds()))


def _keys(username: str | None, address: str | None) -> list[tuple[str, str]]:
    keys = []
    if username:
        keys.append((LoginFailureScope.ACCOUNT, username.casefold()[:255]))
    if address:
        keys.append((LoginFailureScope.ADDRESS, address[:255]))
    return keys


def login_lockout_get(*, username: str | None, address: str | None) -> Lockout | None:
    """The lockout in force for this username or address (the later one if both), or None."""
    now = timezone.now()
    found = None
    for scope, key in _keys(username, address):
        row = LoginFailureCounter.objects.filter(scope=scope, key=key, locked_until__gt=now).first()
        if row is not None and (found is None or row.locked_until > found.until):
            found = Lockout(scope=scope, until=row.locked_until)
    return found


def login_throttle_check(*, username: str | None, address: str | None) -> None:
    """Raises LoginThrottled (429, with Retry-After) while the username or address is locked."""
    lockout = login_lockout_get(username=username, address=address)
    if lockout is None:
        return
    seconds = lockout.retry_after_s(timezone.now())
    minutes = math.ceil(seconds / 60)
    what = "this account" if lockout.scope == LoginFailureScope.ACCOUNT else "your address"
    raise LoginThrottled(
        f"Too many failed logins for {what}; try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}.",
        extra={"retry_after_s": seconds, "scope": lockout.scope},
        headers={"Retry-After": str(seconds)},
    )


def login_failure_record(*, username: str | None, address: str | None) -> None:
    """Counts a failed login against its username and its address; locks either that reaches
    its limit."""
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_S)
    limits = {
        LoginFailureScope.ACCOUNT: settings.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        LoginFailureScope.ADDRESS: settings.LOGIN_MAX_FAILURES_PER_ADDRESS,
    }
    for scope, key in _keys(username, address):
        with transaction.atomic():
            row = _counter_for_update(scope, key, now)
            if row.window_started_at < now - window and not (
                row.locked_until and row.locked_until > now
            ):
                row.failures, row.window_started_at, row.locked_until = 0, now, None
            row.failures += 1
            if row.failures >= limits[scope]:
                row.locked_until = now + timedelta(seconds=settings.LOGIN_LOCKOUT_S)
                row.failures, row.window_started_at = 0, now
            row.save()


def login_success_record(*, username: str) -> None:
    LoginFailureCounter.objects.filter(
        scope=LoginFailureScope.ACCOUNT, key=username.casefold()[:255]
    ).delete()


def _counter_for_update(scope: str, key: str, now: datetime) -> LoginFailureCounter:
    rows = LoginFailureCounter.objects.select_for_update()
    row = rows.filter(scope=scope, key=key).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return LoginFailureCounter.objects.create(scope=scope, key=key, window_started_at=now)
    except IntegrityError:  # another process created it first
        return rows.get(scope=scope, key=key)
