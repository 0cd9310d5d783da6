"""Errors in the API's shape, {"message", "extra"}, everywhere under /api/: also where Django
answers instead of a DRF view (unknown URLs, bodies refused before any view, uncaught errors).
Paths outside /api/ (the frontend's routes, the admin) keep Django's HTML pages."""

import logging
import sys
import uuid
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions

logger = logging.getLogger("backend.api")

API_PREFIX = "/api/"


class RequestBodyTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(too_large_message(limit))


def too_large_message(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"The request body is larger than the limit of {limit // (1024 * 1024)} MiB."
    return f"The request body is larger than the limit of {limit} bytes."


def error_body(message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"message": message, "extra": extra or {}}


def log_server_error(exc_info: Any) -> str:
    """Logs an unexpected error with a short reference that the client is shown, so that a
    report from a user leads to the traceback."""
    reference = uuid.uuid4().hex[:12]
    logger.error("Unexpected error, reference %s", reference, exc_info=exc_info)
    return reference


def server_error_body(reference: str) -> dict[str, Any]:
    return error_body(
        f"The server had an unexpected problem (reference {reference}); it was logged. "
        "Try again, and report the reference if it keeps happening.",
        {"reference": reference},
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler400: SuspiciousOperation and oversized bodies outside a DRF view."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        from django.conf import settings

        message = too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return JsonResponse(error_body(message), status=413)
    message = str(exception) if exception and str(exception) else "Bad request."
    return JsonResponse(error_body(message), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse(error_body("You do not have permission to do this."), status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(
        error_body("There is no such API endpoint.", {"path": request.path}), status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500, called while the exception is being handled (so sys.exc_info()
    still holds it)."""
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(server_error_body(log_server_error(sys.exc_info())), status=500)
