from django.urls import path

from backend.masklets import apis, propagation_apis, workspace_apis

app_name = "masklets"
urlpatterns = [
    path("videos/<int:video_id>/masklets/", apis.MaskletListApi.as_view(), name="list"),
    path("videos/<int:video_id>/masklets/create/", apis.MaskletCreateApi.as_view(), name="create"),
    path(
        "videos/<int:video_id>/workspace/",
        workspace_apis.WorkspaceBundleApi.as_view(),
        name="workspace",
    ),
    path("masklets/<int:masklet_id>/", apis.MaskletDetailApi.as_view(), name="detail"),
    path("masklets/<int:masklet_id>/frames/", apis.MaskletFramesApi.as_view(), name="frames"),
    path("masklets/<int:masklet_id>/prompts/", apis.PromptListApi.as_view(), name="prompts"),
    path("masklets/<int:masklet_id>/prompts/add/", apis.PromptAddApi.as_view(), name="prompt-add"),
    path(
        "videos/<int:video_id>/propagations/",
        propagation_apis.PropagationJobListApi.as_view(),
        name="propagations",
    ),
    path(
        "videos/<int:video_id>/propagations/create/",
        propagation_apis.PropagationJobCreateApi.as_view(),
        name="propagation-create",
    ),
    path(
        "propagations/<int:job_id>/",
        propagation_apis.PropagationJobDetailApi.as_view(),
        name="propagation",
    ),
    path(
        "propagations/<int:job_id>/cancel/",
        propagation_apis.PropagationJobCancelApi.as_view(),
        name="propagation-cancel",
    ),
    path("prompts/<int:prompt_id>/undo/", apis.PromptUndoApi.as_view(), name="prompt-undo"),
    path(
        "masklets/<int:masklet_id>/edits/<int:seq>/undo/",
        apis.MaskletEditUndoApi.as_view(),
        name="edit-undo",
    ),
    path(
        "videos/<int:video_id>/frames/shown/",
        propagation_apis.FrameShownApi.as_view(),
        name="frame-shown",
    ),
    path("sam2/status/", propagation_apis.Sam2StatusApi.as_view(), name="sam2-status"),
]
