from django.urls import path

from backend.automask import apis

app_name = "automask"
urlpatterns = [
    path("videos/<int:video_id>/automask/", apis.AutomaskJobListApi.as_view(), name="list"),
    path(
        "videos/<int:video_id>/automask/create/",
        apis.AutomaskJobCreateApi.as_view(),
        name="create",
    ),
    path("automask/<int:job_id>/", apis.AutomaskJobDetailApi.as_view(), name="detail"),
    path("automask/<int:job_id>/cancel/", apis.AutomaskJobCancelApi.as_view(), name="cancel"),
]
