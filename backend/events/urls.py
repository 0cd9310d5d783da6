from django.urls import path

from backend.events import apis

app_name = "events"
urlpatterns = [
    path("projects/<int:project_id>/events/", apis.EventListApi.as_view(), name="list"),
]
