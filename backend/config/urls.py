from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.api.docs import RedocView
from backend.common.views import spa_index

# Under /api/ errors answer in the API's JSON shape; elsewhere as Django's pages.
handler400 = "backend.api.errors.bad_request"
handler403 = "backend.api.errors.permission_denied"
handler404 = "backend.api.errors.page_not_found"
handler500 = "backend.api.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include("backend.api.urls")),
    # Everything else is a client-side route of the frontend.
    re_path(r"^(?!api/|admin/|static/|media/|ws/).*$", spa_index, name="spa"),
]
