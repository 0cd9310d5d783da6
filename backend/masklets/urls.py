from django.urls import path

from backend.masklets import apis

app_name = "masklets"
urlpatterns = [
    path("videos/<int:video_id>/masklets/", apis.MaskletListApi.as_view(), name="list"),
    path("videos/<int:video_id>/masklets/create/", apis.MaskletCreateApi.as_view(), name="create"),
    path("masklets/<int:masklet_id>/", apis.MaskletDetailApi.as_view(), name="detail"),
    path("masklets/<int:masklet_id>/frames/", apis.MaskletFramesApi.as_view(), name="frames"),
    path("masklets/<int:masklet_id>/prompts/", apis.PromptListApi.as_view(), name="prompts"),
    path("masklets/<int:masklet_id>/prompts/add/", apis.PromptAddApi.as_view(), name="prompt-add"),
]
