"""The API's documentation pages, served entirely from this server's static files."""

from drf_spectacular.views import SpectacularRedocView


class RedocView(SpectacularRedocView):
    """ReDoc without drf-spectacular's Google Fonts links (see common/redoc.html)."""

    template_name = "common/redoc.html"
