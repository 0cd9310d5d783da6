"""Auto-annotation jobs: a manager starts one on a video, anyone in the project follows it,
a manager cancels it. Any job's generic status is also at /api/v1/jobs/<id>/."""

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.fields import INT_MAX
from backend.api.pagination import PageNumberPagination
from backend.api.utils import paginated_response
from backend.automask import selectors
from backend.automask.enums import KeyFrameMode
from backend.automask.services import automask_job_cancel, automask_job_create
from backend.masklets import jobs
from backend.projects.enums import Role
from backend.videos.selectors import video_get_for_user


class GeneratorSettingsSerializer(serializers.Serializer):
    """SAM 2's automatic mask generator (SAM2AutomaticMaskGenerator semantics, its
    defaults); bounds keep one key frame's work within what a worker can hold."""

    points_per_side = serializers.IntegerField(min_value=1, max_value=128, default=32)
    points_per_batch = serializers.IntegerField(min_value=1, max_value=1024, default=64)
    pred_iou_thresh = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.8)
    stability_score_thresh = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.95)
    stability_score_offset = serializers.FloatField(min_value=0.0, max_value=10.0, default=1.0)
    mask_threshold = serializers.FloatField(min_value=-20.0, max_value=20.0, default=0.0)
    box_nms_thresh = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.7)
    crop_n_layers = serializers.IntegerField(min_value=0, max_value=3, default=0)
    crop_nms_thresh = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.7)
    crop_overlap_ratio = serializers.FloatField(min_value=0.0, max_value=1.0, default=512 / 1500)
    crop_n_points_downscale_factor = serializers.IntegerField(min_value=1, max_value=8, default=1)
    min_mask_region_area = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)
    use_m2m = serializers.BooleanField(default=False)
    multimask_output = serializers.BooleanField(default=True)

    def validate(self, attrs: dict) -> dict:
        layers, factor = attrs["crop_n_layers"], attrs["crop_n_points_downscale_factor"]
        if int(attrs["points_per_side"] / factor**layers) < 1:
            raise serializers.ValidationError(
                f"points_per_side {attrs['points_per_side']} leaves no point in crop layer "
                f"{layers} with crop_n_points_downscale_factor {factor}."
            )
        return attrs


class KeyFrameStatsSerializer(serializers.Serializer):
    frame = serializers.IntegerField(source="frame_index")
    generated = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    over_cap = serializers.IntegerField()
    generate_s = serializers.FloatField()


class AutomaskCountsSerializer(serializers.Serializer):
    proposed = serializers.IntegerField()
    submitted = serializers.IntegerField()
    awaiting = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()


class AutomaskJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    video = serializers.IntegerField(source="video_id")
    status = serializers.CharField()
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    cancel_requested = serializers.BooleanField()
    error = serializers.CharField()
    attempts = serializers.IntegerField()
    worker = serializers.CharField(source="worker_label")
    key_frame_mode = serializers.CharField(source="params.key_frame_mode")
    key_frames = serializers.ListField(child=serializers.IntegerField())
    settings = GeneratorSettingsSerializer(source="generator_settings")
    max_masklets = serializers.IntegerField()
    dedup_iou = serializers.FloatField()
    objects_per_batch = serializers.IntegerField()
    counts = serializers.SerializerMethodField()
    key_frames_done = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(AutomaskCountsSerializer)
    def get_counts(self, job) -> dict:  # type: ignore[no-untyped-def]
        return AutomaskCountsSerializer(selectors.automask_job_counts(job=job)).data

    @extend_schema_field(KeyFrameStatsSerializer(many=True))
    def get_key_frames_done(self, job) -> list:  # type: ignore[no-untyped-def]
        return KeyFrameStatsSerializer(selectors.automask_key_frames(job=job), many=True).data


class AutomaskJobCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        key_frame_mode = serializers.ChoiceField(
            choices=KeyFrameMode.choices, default=KeyFrameMode.FIRST
        )
        every_s = serializers.FloatField(
            min_value=0.01,
            max_value=3600.0,
            required=False,
            allow_null=True,
            help_text="seconds between key frames (key_frame_mode every)",
        )
        frames = serializers.ListField(
            child=serializers.IntegerField(min_value=0, max_value=INT_MAX),
            required=False,
            max_length=1000,
            help_text="key frames (key_frame_mode listed)",
        )
        settings = GeneratorSettingsSerializer(required=False)
        max_masklets = serializers.IntegerField(
            min_value=1, max_value=1000, default=50, help_text="cap on auto masklets"
        )
        dedup_iou = serializers.FloatField(
            min_value=0.0,
            max_value=1.0,
            default=0.5,
            help_text="skip a mask whose IoU with an existing mask on its frame is above this",
        )
        objects_per_batch = serializers.IntegerField(
            min_value=1,
            max_value=64,
            default=8,
            help_text="auto masklets propagated together",
        )

    @extend_schema(request=InputSerializer, responses={201: AutomaskJobOutputSerializer})
    def post(self, request: Request, video_id: int) -> Response:
        """A manager starts auto-annotation of a video (SAM 2 must be available)."""
        video = video_get_for_user(user=request.user, video_id=video_id, roles=(Role.MANAGER,))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "settings" not in fields:
            settings = GeneratorSettingsSerializer(data={})
            settings.is_valid(raise_exception=True)
            fields["settings"] = settings.validated_data
        fields["settings"] = dict(fields["settings"])
        with transaction.atomic():
            jobs.require_sam2()
            job = automask_job_create(video=video, author=request.user, **fields)
        return Response(AutomaskJobOutputSerializer(job).data, status=201)


class AutomaskJobListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses=AutomaskJobOutputSerializer(many=True))
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(user=request.user, video_id=video_id)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.automask_job_list(video=video),
            serializer_class=AutomaskJobOutputSerializer,
        )


class AutomaskJobDetailApi(APIView):
    @extend_schema(responses=AutomaskJobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = selectors.automask_job_get_for_user(user=request.user, job_id=job_id)
        return Response(AutomaskJobOutputSerializer(job).data)


class AutomaskJobCancelApi(APIView):
    @extend_schema(request=None, responses=AutomaskJobOutputSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        """A manager stops the job: submitted auto masklets stay, the others are removed."""
        job = selectors.automask_job_get_for_cancel(user=request.user, job_id=job_id)
        return Response(AutomaskJobOutputSerializer(automask_job_cancel(job=job)).data)
