from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from backend.accounts.throttling import (
    login_failure_record,
    login_lockout_get,
    login_success_record,
)


def client_address(request) -> str | None:  # type: ignore[no-untyped-def]
    """The client's IP address (behind nginx, uvicorn's --proxy-headers put it here)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


class ThrottledModelBackend(ModelBackend):
    """Username and password, counted by backend.accounts.throttling: every password check
    (the API's login and token endpoints, Django's admin) goes through it, so that no login
    form is a way around the lockout. While locked, the password is not even checked."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        address = client_address(request)
        if login_lockout_get(username=username, address=address) is not None:
            raise PermissionDenied  # authenticate() stops here and returns None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(username=username, address=address)
        elif username:
            login_success_record(username=username)
        return user
