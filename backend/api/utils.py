from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers


def paginated_response(
    *,
    request: Request,
    view: APIView,
    queryset: QuerySet,
    serializer_class: type[serializers.Serializer],
    each: Callable[[Any], Any] | None = None,
    context: dict[str, Any] | None = None,
) -> Response:
    """One page of the queryset; `each` (if given) prepares every object of the page before it
    is serialized, with `context` (if given). The view declares `pagination_class` (so that
    its schema shows the page envelope)."""
    pagination_class = getattr(view, "pagination_class", None)
    if pagination_class is None:
        raise TypeError(f"{type(view).__name__} answers pages: set pagination_class on it")
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    if each is not None:
        page = [each(item) for item in page]
    data = serializer_class(page, many=True, context=context or {}).data
    return paginator.get_paginated_response(data)


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


def query_params_validated(
    serializer_class: type[serializers.Serializer], request: Request
) -> dict[str, Any]:
    """The request's query parameters, validated. A parameter given empty (`?status=`) is
    refused like any other invalid value (DRF alone would take it as not given)."""
    serializer = serializer_class(data=request.query_params)
    blank = {
        name: ["This parameter may not be empty."]
        for name in serializer.fields
        if request.query_params.get(name) == ""
    }
    if blank:
        raise ValidationError(blank)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
