"""Django REST framework and the OpenAPI schema."""

REST_FRAMEWORK = {
    # Session first: a browser that is not logged in gets 403 and no auth popup.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "backend.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "backend.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "backend.api.exception_handler.handle_exception",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, with a size and a nesting-depth limit (backend/api/parsers.py); the views
    # that take files (uploads, imports) say MultiPartParser themselves.
    "DEFAULT_PARSER_CLASSES": ["backend.api.parsers.JSONParser"],
}

# Largest id a path may carry (PostgreSQL bigint): larger ones are a 404, not a lookup.
_ID_MAX = 2**63 - 1

SPECTACULAR_SETTINGS = {
    "TITLE": "SAM 2 video annotation API",
    "DESCRIPTION": "Projects, videos, masklets and prompts. Masks travel as COCO compressed RLE.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # `<int:...>` path ids, with the bound backend.api.middleware.PathIdBoundsMiddleware keeps.
    "PATH_CONVERTER_OVERRIDES": {"int": {"type": "integer", "minimum": 0, "maximum": _ID_MAX}},
    # Swagger UI and ReDoc come from drf-spectacular-sidecar's static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per choice set used under several field names (role and my_role).
    "ENUM_NAME_OVERRIDES": {
        "ProjectRoleEnum": "backend.projects.enums.Role",
        "TaskStageEnum": "backend.projects.enums.TaskStage",
        "PropagationStopEnum": "backend.masklets.enums.StopReason",
    },
}
