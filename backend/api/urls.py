"""/api/v1/: one URL per operation, grouped by app."""

from django.urls import include, path

from backend.api.health import HealthApi

app_name = "api"
urlpatterns = [
    path("health/", HealthApi.as_view(), name="health"),
    path("auth/", include("backend.accounts.urls")),
    path("users/", include("backend.accounts.user_urls")),
    path("", include("backend.projects.urls")),
    path("", include("backend.videos.urls")),
    path("", include("backend.masklets.urls")),
    path("", include("backend.events.urls")),
    path("", include("backend.jobs.urls")),
    path("", include("backend.exports.urls")),
    path("", include("backend.reviews.urls")),
    path("", include("backend.quality.urls")),
    path("", include("backend.automask.urls")),
]
