from django.urls import path

from backend.videos import apis

app_name = "videos"
urlpatterns = [
    path("projects/<int:project_id>/videos/", apis.VideoListApi.as_view(), name="list"),
    path("projects/<int:project_id>/videos/upload/", apis.VideoUploadApi.as_view(), name="upload"),
    path("projects/<int:project_id>/videos/import/", apis.VideoImportApi.as_view(), name="import"),
    path("videos/<int:video_id>/", apis.VideoDetailApi.as_view(), name="detail"),
    path("videos/<int:video_id>/update/", apis.VideoUpdateApi.as_view(), name="update"),
    path(
        "videos/<int:video_id>/frames/<int:frame_index>.jpg",
        apis.VideoFrameApi.as_view(),
        name="frame",
    ),
]
