"""Errors that services raise; the API's exception handler turns them into responses."""

from typing import Any


class ApplicationError(Exception):
    """A business rule said no. `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(
        self,
        message: str,
        *,
        extra: dict[str, Any] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        # HTTP headers of the answer, e.g. Retry-After with a 429.
        self.headers = headers or {}
        if status is not None:
            self.status = status


class ConflictError(ApplicationError):
    """The client wrote against a stale version (optimistic locking)."""

    status = 409


class UnprocessableError(ApplicationError):
    """The request was well formed but its content cannot be used (e.g. not a video)."""

    status = 422
