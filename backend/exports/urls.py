from django.urls import path

from backend.exports import apis

app_name = "exports"
urlpatterns = [
    path("exports/formats/", apis.FormatListApi.as_view(), name="formats"),
    path("projects/<int:project_id>/exports/", apis.ExportJobListApi.as_view(), name="list"),
    path(
        "projects/<int:project_id>/exports/create/",
        apis.ExportJobCreateApi.as_view(),
        name="create",
    ),
    path("exports/<int:job_id>/", apis.ExportJobDetailApi.as_view(), name="detail"),
    path("exports/<int:job_id>/download/", apis.ExportJobDownloadApi.as_view(), name="download"),
    path("videos/<int:video_id>/imports/", apis.MaskletImportApi.as_view(), name="import"),
]
