from django.urls import path

from backend.quality import apis

app_name = "quality"
urlpatterns = [
    path(
        "projects/<int:project_id>/consensus/assign/",
        apis.ConsensusAssignApi.as_view(),
        name="consensus-assign",
    ),
    path("videos/<int:video_id>/consensus/", apis.ConsensusGetApi.as_view(), name="consensus"),
    path(
        "videos/<int:video_id>/consensus/resolve/",
        apis.ConsensusResolveApi.as_view(),
        name="consensus-resolve",
    ),
    path(
        "videos/<int:video_id>/ground-truth/",
        apis.GroundTruthMarkApi.as_view(),
        name="ground-truth",
    ),
    path(
        "videos/<int:video_id>/ground-truth/scores/",
        apis.GroundTruthScoresApi.as_view(),
        name="ground-truth-scores",
    ),
    path("activity/", apis.ActivityRecordApi.as_view(), name="activity"),
    path("projects/<int:project_id>/dashboard/", apis.DashboardApi.as_view(), name="dashboard"),
    path(
        "projects/<int:project_id>/dashboard.csv",
        apis.DashboardCsvApi.as_view(),
        name="dashboard-csv",
    ),
]
