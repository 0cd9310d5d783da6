from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.pagination import PageNumberPagination


def paginated_response(
    *,
    request: Request,
    view: APIView,
    queryset: QuerySet,
    serializer_class: type[serializers.Serializer],
    each: Callable[[Any], Any] | None = None,
) -> Response:
    """One page of the queryset; `each` (if given) prepares every object of the page before it
    is serialized."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    if each is not None:
        page = [each(item) for item in page]
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
