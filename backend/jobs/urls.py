from django.urls import path

from backend.jobs import apis

app_name = "jobs"
urlpatterns = [
    path("jobs/<int:job_id>/", apis.JobDetailApi.as_view(), name="detail"),
]
