from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from backend.api.fields import INT_MAX


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):  # type: ignore[no-untyped-def]
        """`page` is a number from 1 (a 400 otherwise; one past the last page is a 404)."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        return _bounded(raw, self.page_query_param, 1, INT_MAX)

    def get_page_size(self, request):  # type: ignore[no-untyped-def]
        """`page_size` from 1 to max_page_size; anything else is a 400 (DRF would quietly use
        the default, or the maximum)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return _bounded(raw, self.page_size_query_param, 1, self.max_page_size)

    def get_schema_operation_parameters(self, view):  # type: ignore[no-untyped-def]
        """DRF's parameters, with their bounds (a page past the last is a 404)."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1, maximum=INT_MAX)
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


def _bounded(raw: str, name: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        raise ValidationError({name: [f"Give a whole number from {low} to {high}."]})
    return int(raw)
