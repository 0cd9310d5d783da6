from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.fields import ID_MAX, INT_MAX
from backend.api.pagination import PageNumberPagination
from backend.api.utils import paginated_response, query_params_validated
from backend.masklets import selectors, services
from backend.masklets.enums import FrameOrigin, MaskletStatus
from backend.masklets.models import Prompt
from backend.projects.enums import Role
from backend.projects.models import Label, Task
from backend.projects.permissions import membership_require
from backend.videos.selectors import video_get_for_user

HEX_COLOR = r"^#[0-9a-fA-F]{6}$"
# One bulk request holds at most this many frames (a long video is written in several).
MAX_FRAMES_PER_WRITE = 1000


class MaskletOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    video = serializers.IntegerField(source="video_id")
    task = serializers.IntegerField(source="task_id", allow_null=True)
    label = serializers.IntegerField(source="label_id", allow_null=True)
    name = serializers.CharField()
    color = serializers.CharField()
    source = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    frame_count = serializers.IntegerField(required=False, help_text="frames with a non-empty mask")
    review_round = serializers.IntegerField(help_text="times submitted for verification")
    submitted_at = serializers.DateTimeField(allow_null=True)
    is_ground_truth = serializers.BooleanField()
    consensus_discarded = serializers.BooleanField()


class RleSerializer(serializers.Serializer):
    size = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=INT_MAX),
        min_length=2,
        max_length=2,
        help_text="[height, width]",
    )
    counts = serializers.CharField(
        trim_whitespace=False, help_text="COCO compressed RLE, column-major"
    )


class MaskletFrameSerializer(serializers.Serializer):
    frame_index = serializers.IntegerField(min_value=0, max_value=INT_MAX)
    rle = RleSerializer()
    # Decided by the server, never by the client (it decides what propagation keeps): masks
    # written through the API are "edited", SAM 2's are "click" / "propagated", imports
    # "imported". Sent values are ignored.
    origin = serializers.ChoiceField(choices=FrameOrigin.choices, read_only=True)
    score = serializers.FloatField(allow_null=True, read_only=True, help_text="SAM 2's score")
    area = serializers.IntegerField(read_only=True)
    bbox = serializers.ListField(child=serializers.FloatField(), read_only=True)


class PointSerializer(serializers.ListField):
    """[x, y, label]: x, y normalised to [0, 1]; label 1 positive, 0 negative."""

    child = serializers.FloatField()
    min_length = 3
    max_length = 3

    def to_internal_value(self, data):  # type: ignore[no-untyped-def]
        values = super().to_internal_value(data)
        if len(values) != 3:
            raise serializers.ValidationError("A point is [x, y, label]: 3 numbers.")
        x, y, label = values
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise serializers.ValidationError("x and y must be normalised to [0, 1].")
        if label not in (0.0, 1.0):
            raise serializers.ValidationError("label must be 1 (positive) or 0 (negative).")
        return [x, y, int(label)]


class BoxSerializer(serializers.ListField):
    """[x0, y0, x1, y1] normalised to [0, 1], x0 < x1 and y0 < y1."""

    child = serializers.FloatField(min_value=0.0, max_value=1.0)
    min_length = 4
    max_length = 4

    def to_internal_value(self, data):  # type: ignore[no-untyped-def]
        values = super().to_internal_value(data)
        if len(values) != 4:
            raise serializers.ValidationError("A box is [x0, y0, x1, y1]: 4 numbers.")
        x0, y0, x1, y1 = values
        if not (x0 < x1 and y0 < y1):
            raise serializers.ValidationError("The box needs x0 < x1 and y0 < y1.")
        return [x0, y0, x1, y1]


class PromptOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    masklet = serializers.IntegerField(source="masklet_id")
    frame_index = serializers.IntegerField()
    points = serializers.ListField(child=serializers.ListField())
    box = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    order = serializers.IntegerField()
    clear_old = serializers.BooleanField()
    author = serializers.IntegerField(source="author_id", allow_null=True)
    created_at = serializers.DateTimeField()


class PromptMaskSerializer(serializers.Serializer):
    frame_index = serializers.IntegerField()
    masklet = serializers.IntegerField()
    rle = RleSerializer()
    score = serializers.FloatField()
    version = serializers.IntegerField(help_text="the masklet's version after this mask")
    engine_ms = serializers.FloatField(help_text="time SAM 2 itself took")
    seq = serializers.IntegerField(help_text="the prompt's entry in the video's SAM 2 log")
    replayed = serializers.BooleanField(
        help_text="the video's SAM 2 state was not in the worker's RAM before this click"
    )
    loaded = serializers.ChoiceField(
        choices=["resident", "snapshot", "replay"],
        help_text="how the worker had the video's SAM 2 state: in RAM, loaded from its "
        "snapshot, or rebuilt by replaying the video's action log",
    )
    task_ms = serializers.FloatField(help_text="time the worker spent on the request")


class MaskletListApi(APIView):
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=MaskletStatus.choices, required=False)
        label = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
        task = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)

    @extend_schema(parameters=[FilterSerializer], responses=MaskletOutputSerializer(many=True))
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(user=request.user, video_id=video_id)
        filters = query_params_validated(self.FilterSerializer, request)
        lookups = {
            ("label_id" if k == "label" else "task_id" if k == "task" else k): v
            for k, v in filters.items()
        }
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.masklet_list(video=video, user=request.user).filter(**lookups),
            serializer_class=MaskletOutputSerializer,
        )


class MaskletCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        task_id = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=ID_MAX
        )
        label_id = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=ID_MAX
        )
        name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
        color = serializers.RegexField(HEX_COLOR, required=False, default="#1f77b4")

    @extend_schema(request=InputSerializer, responses={201: MaskletOutputSerializer})
    def post(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(
            user=request.user, video_id=video_id, roles=(Role.MANAGER, Role.ANNOTATOR)
        )
        membership = membership_require(user=request.user, project_id=video.project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task_id, label_id = (
            data.validated_data.pop("task_id", None),
            data.validated_data.pop("label_id", None),
        )
        task = get_object_or_404(Task, pk=task_id, project_id=video.project_id) if task_id else None
        label = (
            get_object_or_404(Label, pk=label_id, project_id=video.project_id) if label_id else None
        )
        masklet = services.masklet_create(
            video=video,
            author=request.user,
            role=membership.role,
            task=task,
            label=label,
            **data.validated_data,
        )
        return Response(MaskletOutputSerializer(masklet).data, status=201)


class MaskletDetailApi(APIView):
    class UpdateSerializer(serializers.Serializer):
        version = serializers.IntegerField(min_value=1, max_value=INT_MAX)
        name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        color = serializers.RegexField(HEX_COLOR, required=False)
        label_id = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=ID_MAX
        )

    class DeleteSerializer(serializers.Serializer):
        version = serializers.IntegerField(min_value=1, max_value=INT_MAX)

    @extend_schema(responses=MaskletOutputSerializer)
    def get(self, request: Request, masklet_id: int) -> Response:
        masklet = selectors.masklet_get_for_user(user=request.user, masklet_id=masklet_id)
        return Response(MaskletOutputSerializer(masklet).data)

    @extend_schema(request=UpdateSerializer, responses=MaskletOutputSerializer)
    def patch(self, request: Request, masklet_id: int) -> Response:
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version")
        with transaction.atomic():
            masklet = selectors.masklet_get_for_edit(
                user=request.user, masklet_id=masklet_id, lock=True
            )
            if "label_id" in fields:
                label_id = fields.pop("label_id")
                fields["label"] = (
                    get_object_or_404(Label, pk=label_id, project_id=masklet.video.project_id)
                    if label_id
                    else None
                )
            services.masklet_update(
                masklet=masklet, actor=request.user, version=version, data=fields
            )
        return Response(MaskletOutputSerializer(masklet).data)

    @extend_schema(parameters=[DeleteSerializer], responses={204: None})
    def delete(self, request: Request, masklet_id: int) -> Response:
        """`?version=` is the version the client read (409 when stale)."""
        version = query_params_validated(self.DeleteSerializer, request)["version"]
        with transaction.atomic():
            masklet = selectors.masklet_get_for_edit(
                user=request.user, masklet_id=masklet_id, lock=True
            )
            services.masklet_delete(masklet=masklet, actor=request.user, version=version)
        return Response(status=204)


class MaskletFramesApi(APIView):
    """GET: masks by frame range. PUT: bulk upsert/delete as one versioned change."""

    pagination_class = PageNumberPagination

    class RangeSerializer(serializers.Serializer):
        start = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False)
        end = serializers.IntegerField(
            min_value=1, max_value=INT_MAX, required=False, help_text="exclusive end frame"
        )

    class WriteSerializer(serializers.Serializer):
        version = serializers.IntegerField(min_value=1, max_value=INT_MAX)
        frames = MaskletFrameSerializer(many=True, required=False, default=list)
        delete_frames = serializers.ListField(
            child=serializers.IntegerField(min_value=0, max_value=INT_MAX),
            required=False,
            default=list,
        )

        def validate(self, attrs):  # type: ignore[no-untyped-def]
            if len(attrs["frames"]) + len(attrs["delete_frames"]) > MAX_FRAMES_PER_WRITE:
                raise serializers.ValidationError(
                    f"At most {MAX_FRAMES_PER_WRITE} frames per request."
                )
            return attrs

    @extend_schema(parameters=[RangeSerializer], responses=MaskletFrameSerializer(many=True))
    def get(self, request: Request, masklet_id: int) -> Response:
        masklet = selectors.masklet_get_for_user(user=request.user, masklet_id=masklet_id)
        bounds = query_params_validated(self.RangeSerializer, request)
        frames = selectors.masklet_frame_list(masklet=masklet, **bounds)
        return paginated_response(
            request=request, view=self, queryset=frames, serializer_class=MaskletFrameSerializer
        )

    class WrittenSerializer(MaskletOutputSerializer):
        edit_actions = serializers.DictField(
            child=serializers.IntegerField(),
            help_text="frame index -> the SAM 2 log entry of that edit (for an undo)",
        )

    @extend_schema(request=WriteSerializer, responses=WrittenSerializer)
    def put(self, request: Request, masklet_id: int) -> Response:
        """A person's edit: the masks are stored as given, and frames written as ``edited``
        become mask prompts of the video's SAM 2 state (the next propagation starts from
        them)."""
        data = self.WriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        frames = [f["frame_index"] for f in data.validated_data["frames"]]
        with transaction.atomic():
            masklet = selectors.masklet_get_for_edit(
                user=request.user,
                masklet_id=masklet_id,
                lock=True,
                frames=frames + data.validated_data["delete_frames"],
            )
            written = services.masklet_frames_write(
                masklet=masklet,
                actor=request.user,
                version=data.validated_data["version"],
                frames=data.validated_data["frames"],
                delete_frames=data.validated_data["delete_frames"],
                edits_to_sam2=True,
            )
        return Response(
            {
                **MaskletOutputSerializer(masklet).data,
                "edit_actions": {str(k): v for k, v in written.edit_actions.items()},
            }
        )


class MaskletEditUndoApi(APIView):
    """Undo of a brush or eraser edit (the ``edit_actions`` entry a frames write answered):
    it leaves the video's SAM 2 state as if never made, and the frame gets back the mask it
    had before, in one versioned change."""

    class InputSerializer(serializers.Serializer):
        version = serializers.IntegerField(min_value=1, max_value=INT_MAX)

    @extend_schema(request=InputSerializer, responses=MaskletOutputSerializer)
    def post(self, request: Request, masklet_id: int, seq: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            masklet = selectors.masklet_get_for_edit(
                user=request.user, masklet_id=masklet_id, lock=True
            )
            services.masklet_edit_undo(
                masklet=masklet,
                seq=seq,
                actor=request.user,
                version=data.validated_data["version"],
            )
        return Response(MaskletOutputSerializer(masklet).data)


class PromptListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses=PromptOutputSerializer(many=True))
    def get(self, request: Request, masklet_id: int) -> Response:
        masklet = selectors.masklet_get_for_user(user=request.user, masklet_id=masklet_id)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.prompt_list(masklet=masklet),
            serializer_class=PromptOutputSerializer,
        )


class PromptAddApi(APIView):
    class InputSerializer(serializers.Serializer):
        frame_index = serializers.IntegerField(min_value=0, max_value=INT_MAX)
        points = serializers.ListField(
            child=PointSerializer(), required=False, default=list, max_length=64
        )
        box = BoxSerializer(required=False, allow_null=True, default=None)
        clear_old = serializers.BooleanField(required=False, default=True)

    class OutputSerializer(serializers.Serializer):
        prompt = PromptOutputSerializer()
        mask = PromptMaskSerializer()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, masklet_id: int) -> Response:
        """Stores the prompt and answers with SAM 2's mask for its frame (saved as the
        frame's mask, origin click). 503 with the reason when SAM 2 is not available."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            masklet = selectors.masklet_get_for_edit(
                user=request.user,
                masklet_id=masklet_id,
                lock=True,
                frames=[data.validated_data["frame_index"]],
            )
            prompt = services.prompt_add(
                masklet=masklet, author=request.user, **data.validated_data
            )
        mask = services.prompt_predict(prompt=prompt)
        return Response({"prompt": PromptOutputSerializer(prompt).data, "mask": mask}, status=201)


class PromptUndoApi(APIView):
    """Undo of a click or box: the prompt leaves the masklet and the video's SAM 2 state (as
    if never given) and the frame gets back the mask it had before, in one versioned change.
    Only a masklet's latest prompt or edit can be undone (409 otherwise)."""

    class InputSerializer(serializers.Serializer):
        version = serializers.IntegerField(min_value=1, max_value=INT_MAX)

    @extend_schema(request=InputSerializer, responses=MaskletOutputSerializer)
    def post(self, request: Request, prompt_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prompt = get_object_or_404(Prompt, pk=prompt_id)
        with transaction.atomic():
            masklet = selectors.masklet_get_for_edit(
                user=request.user,
                masklet_id=prompt.masklet_id,
                lock=True,
                frames=[prompt.frame_index],
            )
            prompt.masklet = masklet
            services.prompt_undo(
                prompt=prompt, actor=request.user, version=data.validated_data["version"]
            )
        return Response(MaskletOutputSerializer(masklet).data)
