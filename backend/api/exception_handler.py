"""One error shape for the whole API: {"message": str, "extra": {...}}."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler, set_rollback

from backend.api.errors import RequestBodyTooLarge, log_server_error, server_error_body
from backend.common.exceptions import ApplicationError


def handle_exception(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, ApplicationError):
        return Response(
            {"message": exc.message, "extra": exc.extra}, status=exc.status, headers=exc.headers
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestBodyTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    elif isinstance(exc, SuspiciousOperation):
        # E.g. an uploaded file's name that is only dots, too many form fields.
        exc = exceptions.ParseError(str(exc) or "The request was refused as unsafe.")

    response = exception_handler(exc, context)
    if response is None:
        # Anything else is a bug: a JSON 500 whose reference points to the logged traceback.
        set_rollback()
        return Response(server_error_body(log_server_error(exc)), status=500)
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "message": _first_message(response.data),
            "extra": {"fields": response.data},
        }
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {"message": str(detail), "extra": {}}
    return response


def _first_message(errors: Any, path: str = "") -> str:
    """A readable sentence for the first field error, e.g. 'frame_index: must be >= 0.'."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            prefix = path if key == "non_field_errors" else (f"{path}.{key}" if path else key)
            return _first_message(value, prefix)
    if isinstance(errors, list) and errors:
        return _first_message(errors[0], path)
    return f"{path}: {errors}" if path else str(errors)
