from django.urls import path

from backend.reviews import apis

app_name = "reviews"
urlpatterns = [
    path("masklets/<int:masklet_id>/submit/", apis.MaskletSubmitApi.as_view(), name="submit"),
    path("masklets/<int:masklet_id>/history/", apis.MaskletHistoryApi.as_view(), name="history"),
    path("masklets/<int:masklet_id>/reviews/", apis.MaskletReviewListApi.as_view(), name="list"),
    path(
        "masklets/<int:masklet_id>/comments/", apis.MaskletCommentListApi.as_view(), name="comments"
    ),
    path(
        "masklets/<int:masklet_id>/comments/<int:comment_id>/resolve/",
        apis.ReviewCommentResolveApi.as_view(),
        name="comment-resolve",
    ),
    path("masklets/<int:masklet_id>/override/", apis.MaskletOverrideApi.as_view(), name="override"),
    path("projects/<int:project_id>/review-queue/", apis.ReviewQueueApi.as_view(), name="queue"),
    path(
        "projects/<int:project_id>/review-queue/next/",
        apis.ReviewQueueNextApi.as_view(),
        name="queue-next",
    ),
    path(
        "review-assignments/<int:assignment_id>/renew/",
        apis.ReviewAssignmentRenewApi.as_view(),
        name="assignment-renew",
    ),
    path(
        "review-assignments/<int:assignment_id>/release/",
        apis.ReviewAssignmentReleaseApi.as_view(),
        name="assignment-release",
    ),
    path(
        "review-assignments/<int:assignment_id>/verdict/",
        apis.ReviewVerdictApi.as_view(),
        name="verdict",
    ),
    path(
        "projects/<int:project_id>/masklets/",
        apis.ProjectMaskletListApi.as_view(),
        name="project-masklets",
    ),
]
