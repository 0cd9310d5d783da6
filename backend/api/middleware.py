from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from backend.api.errors import API_PREFIX, error_body
from backend.api.fields import ID_MAX


class PathIdBoundsMiddleware(MiddlewareMixin):
    """A path id larger than any database id (`<int:...>` takes any digits) is answered like
    an unknown id, instead of the database failing on the lookup with a 500."""

    def process_view(
        self, request: HttpRequest, view_func, view_args, view_kwargs
    ) -> HttpResponse | None:  # type: ignore[no-untyped-def]
        if not any(isinstance(value, int) and value > ID_MAX for value in view_kwargs.values()):
            return None
        if request.path.startswith(API_PREFIX):
            return JsonResponse(error_body("Not found."), status=404)
        raise Http404
