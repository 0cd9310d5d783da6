"""The annotation workspace's one read: see backend/masklets/workspace.py."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.fields import INT_MAX
from backend.api.utils import query_params_validated
from backend.masklets.apis import (
    MaskletFrameSerializer,
    MaskletOutputSerializer,
    PromptOutputSerializer,
)
from backend.masklets.workspace import workspace_bundle_get
from backend.videos.selectors import video_get_for_user


class WorkspaceMaskSerializer(MaskletFrameSerializer):
    masklet = serializers.IntegerField(source="masklet_id")


class ReviewPinSerializer(serializers.Serializer):
    masklet = serializers.IntegerField(source="masklet_id")
    frame_index = serializers.IntegerField()
    resolved = serializers.BooleanField()


class WorkspaceBundleApi(APIView):
    """A video's masklets, their masks over a frame range, their prompts and review pins."""

    class RangeSerializer(serializers.Serializer):
        start = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False, default=0)
        end = serializers.IntegerField(
            min_value=1,
            max_value=INT_MAX,
            required=False,
            allow_null=True,
            default=None,
            help_text="exclusive",
        )

        def validate(self, attrs):  # type: ignore[no-untyped-def]
            if attrs["end"] is not None and attrs["end"] <= attrs["start"]:
                raise serializers.ValidationError("end must be greater than start.")
            return attrs

    class OutputSerializer(serializers.Serializer):
        cursor = serializers.IntegerField(
            help_text="log position (seq): listen to the video's events after it"
        )
        masklets = MaskletOutputSerializer(many=True)
        frame_start = serializers.IntegerField()
        frame_end = serializers.IntegerField(
            help_text="exclusive; every mask of frames [frame_start, frame_end) is in `masks`"
        )
        next_start = serializers.IntegerField(
            allow_null=True, help_text="ask again from here for the rest; null at the end"
        )
        masks = WorkspaceMaskSerializer(many=True)
        prompts = PromptOutputSerializer(many=True)
        pins = ReviewPinSerializer(many=True, help_text="frames reviewers commented on")

    @extend_schema(parameters=[RangeSerializer], responses=OutputSerializer)
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(user=request.user, video_id=video_id)
        bounds = query_params_validated(self.RangeSerializer, request)
        if bounds["start"] >= video.frame_count:
            raise ValidationError({"start": [f"The video has frames 0..{video.frame_count - 1}."]})
        bundle = workspace_bundle_get(video=video, user=request.user, **bounds)
        return Response(self.OutputSerializer(bundle).data)
