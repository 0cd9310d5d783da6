"""The OpenAPI schema (drf-spectacular) as the API behaves: nested serializer names, the error
responses of every operation, bounded path ids."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from rest_framework.permissions import AllowAny

from backend.api import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error of the API (backend/api/exception_handler.py)."""

    message = serializers.CharField(help_text="a sentence that can be shown to a person as is")
    extra = serializers.DictField(
        help_text="details: `fields` (validation errors by field), `limit` (413), "
        "`retry_after_s` (429), `reference` (500, in the server log), ..."
    )


ERRORS = {
    "400": "Bad request: invalid input, or a business rule refused it.",
    "403": "Not logged in, the CSRF token is missing, or the role does not allow it.",
    "404": "Not found, or not visible to you (e.g. another project's, or another "
    "annotator's in consensus mode).",
    "409": "Conflict: a stale version, or the object's state does not allow it.",
    "413": "The request body is larger than the server accepts.",
    "415": "Unsupported media type.",
    "422": "The file is not what it should be (e.g. not a decodable video).",
    "429": "Too many failed logins; see the Retry-After header.",
    "500": "Unexpected server error; `extra.reference` points to the server log.",
    "503": "SAM 2 is not available (no worker with the model).",
}
# Operations that need SAM 2 inside the request (a click's mask, queuing a propagation or
# an auto-annotation).
NEEDS_SAM2 = {
    ("post", "/api/v1/masklets/{masklet_id}/prompts/add/"),
    ("post", "/api/v1/videos/{video_id}/propagations/create/"),
    ("post", "/api/v1/videos/{video_id}/automask/create/"),
}
LOGINS = {"/api/v1/auth/login/", "/api/v1/auth/token/"}


class AutoSchema(BaseAutoSchema):
    """Names components of nested serializers after their API (`MaskletCreateApiInput`),
    so that the many `InputSerializer`s of conventions §2 stay distinct in the schema; and
    documents the error responses ({"message", "extra"}) each operation can give."""

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):  # type: ignore[no-untyped-def]
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer = qualname.rsplit(".", 1)[0].replace(".", "")
            name = outer + name
        return name

    def _get_response_bodies(self, direction="response"):  # type: ignore[no-untyped-def]
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = ERRORS[code]
                responses[code] = response
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[str]:
        method, path = self.method.lower(), self.path
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        authenticates = bool(self.view.get_authenticators())
        has_body = method in ("post", "put", "patch")
        codes = ["500"]
        if not (method == "get" and public and not self._get_filter_parameters()):
            codes.append("400")  # validation, a parse error, or a business rule
        if authenticates:
            codes.append("403")  # not logged in / CSRF / role
        if not public or has_body:
            codes.append("404")  # what the path or the body names is not (visibly) there
        if not public and method != "get":
            codes.append("409")
        if has_body:
            codes += ["413", "415"]
        if hasattr(self.view, "upload_admit"):
            codes.append("422")
        if path in LOGINS:
            codes.append("429")
        if (method, path) in NEEDS_SAM2:
            codes.append("503")
        return codes
