"""Propagation jobs and SAM 2's availability."""

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.fields import ID_MAX, INT_MAX
from backend.api.pagination import PageNumberPagination
from backend.api.utils import paginated_response
from backend.common.exceptions import ApplicationError
from backend.masklets import jobs, selectors
from backend.masklets.enums import Direction, StopReason
from backend.masklets.propagation import (
    AGREEMENT_FRAMES,
    AGREEMENT_IOU,
    propagation_job_cancel,
    propagation_job_create,
)
from backend.projects.enums import Role
from backend.videos.selectors import video_get_for_user


class ObjectStopSerializer(serializers.Serializer):
    last = serializers.IntegerField(help_text="last frame recomputed for the masklet; -1: none")
    reason = serializers.ChoiceField(choices=StopReason.choices)
    at = serializers.IntegerField(
        help_text="the frame that ended it: last agreeing frame, the person-made frame it "
        "stopped before, or the range's last frame"
    )


class PassStopSerializer(serializers.Serializer):
    reverse = serializers.BooleanField()
    last = serializers.IntegerField(help_text="last frame the pass recomputed; -1: none")
    reason = serializers.ChoiceField(choices=StopReason.choices)
    objects = serializers.DictField(child=ObjectStopSerializer(), help_text="per masklet id")


class JobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    video = serializers.IntegerField(source="video_id")
    masklets = serializers.SerializerMethodField()
    start_frame = serializers.IntegerField()
    direction = serializers.CharField()
    frame_start = serializers.IntegerField()
    frame_end = serializers.IntegerField(allow_null=True)
    overwrite = serializers.BooleanField()
    until_agreement = serializers.BooleanField()
    stops = serializers.SerializerMethodField(
        help_text="until_agreement runs, once done: where each pass stopped and why"
    )
    status = serializers.CharField()
    frames_total = serializers.IntegerField()
    frames_done = serializers.IntegerField()
    cancel_requested = serializers.BooleanField()
    error = serializers.CharField()
    worker = serializers.CharField(source="worker_label")
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_masklets(self, job) -> list[int]:  # type: ignore[no-untyped-def]
        view = self.context.get("view_of_jobs")  # set for readers who may work blind
        if view is not None:
            return view.shown(job)
        return sorted(link.masklet_id for link in job.propagation_masklets.all())

    @extend_schema_field(PassStopSerializer(many=True))
    def get_stops(self, job) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        stops = job.stops
        if stops and self.context.get("view_of_jobs") is not None:
            # A reader who works blind sees only the masklets they may see.
            shown = {str(pk) for pk in self.get_masklets(job)}
            stops = [
                {**stop, "objects": {k: v for k, v in stop["objects"].items() if k in shown}}
                for stop in stops
            ]
        return stops


class PropagationJobCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        masklet_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            min_length=1,
            max_length=200,
        )
        start_frame = serializers.IntegerField(min_value=0, max_value=INT_MAX)
        direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.FORWARD)
        frame_start = serializers.IntegerField(
            min_value=0,
            max_value=INT_MAX,
            required=False,
            help_text="first frame the job may write; default: 0, or an annotator's task start",
        )
        frame_end = serializers.IntegerField(
            min_value=1,
            max_value=INT_MAX,
            allow_null=True,
            required=False,
            help_text="exclusive end; default: the video's end, or an annotator's task end",
        )
        overwrite = serializers.BooleanField(
            default=False, help_text="also replace frames a person clicked or edited"
        )
        until_agreement = serializers.BooleanField(
            default=False,
            help_text="re-propagate only what changed: each masklet stops where its new masks "
            f"agree with the stored ones again (IoU >= {AGREEMENT_IOU} on {AGREEMENT_FRAMES} "
            "consecutive frames) or before the next frame a person made for it",
        )

    @extend_schema(request=InputSerializer, responses={201: JobOutputSerializer})
    def post(self, request: Request, video_id: int) -> Response:
        """Annotators propagate their own masklets, inside their task's frame range."""
        video = video_get_for_user(
            user=request.user, video_id=video_id, roles=(Role.MANAGER, Role.ANNOTATOR)
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        ids = fields.pop("masklet_ids")
        with transaction.atomic():
            masklets, role = selectors.propagation_masklets_get_for_edit(
                video=video, user=request.user, masklet_ids=ids
            )
            # Without a range, an annotator's job covers their task's frames.
            ranges = [selectors.masklet_frame_range(masklet=m, role=role) for m in masklets]
            task_start = max(start for start, _ in ranges)
            task_end = min(end for _, end in ranges)
            fields.setdefault("frame_start", task_start)
            if fields.get("frame_end") is None and task_end < video.frame_count:
                fields["frame_end"] = task_end
            end = video.frame_count if fields.get("frame_end") is None else fields["frame_end"]
            for masklet in masklets:
                selectors.masklet_check_frames(
                    masklet=masklet,
                    role=role,
                    frames=(fields["frame_start"], fields["start_frame"], max(end - 1, 0)),
                )
            jobs.require_sam2()
            job = propagation_job_create(
                video=video, author=request.user, masklets=masklets, **fields
            )
        return Response(JobOutputSerializer(job).data, status=201)


class PropagationJobListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses=JobOutputSerializer(many=True))
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(user=request.user, video_id=video_id)
        queryset, view_of_jobs = selectors.propagation_job_list_for_user(
            video=video, user=request.user
        )
        return paginated_response(
            request=request,
            view=self,
            queryset=queryset,
            serializer_class=JobOutputSerializer,
            context={"view_of_jobs": view_of_jobs},
        )


class PropagationJobDetailApi(APIView):
    @extend_schema(responses=JobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job, view_of_jobs, _role = selectors.propagation_job_get_for_user(
            user=request.user, job_id=job_id
        )
        return Response(JobOutputSerializer(job, context={"view_of_jobs": view_of_jobs}).data)


class PropagationJobCancelApi(APIView):
    @extend_schema(request=None, responses=JobOutputSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        """A manager, or the annotator whose masklets the job writes, stops it."""
        job = selectors.propagation_job_get_for_cancel(user=request.user, job_id=job_id)
        job = propagation_job_cancel(job=job, actor=request.user)
        return Response(JobOutputSerializer(job).data)


class FrameShownApi(APIView):
    class InputSerializer(serializers.Serializer):
        frame_index = serializers.IntegerField(min_value=0, max_value=INT_MAX)

    class OutputSerializer(serializers.Serializer):
        encoding = serializers.BooleanField(
            help_text="the SAM 2 worker holding the video was asked to encode the frame"
        )

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer})
    def post(self, request: Request, video_id: int) -> Response:
        """The frame an annotator rests on: SAM 2 encodes it ahead, so the first click on it
        skips the image encoder. Best effort; a later frame cancels it."""
        video = video_get_for_user(
            user=request.user, video_id=video_id, roles=(Role.MANAGER, Role.ANNOTATOR)
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        frame_index = data.validated_data["frame_index"]
        if frame_index >= video.frame_count:
            raise ApplicationError(
                f"Frame {frame_index} is beyond the video's {video.frame_count} frames.",
                status=400,
            )
        encoding = jobs.frame_shown(video_id=video.pk, frame_index=frame_index)
        return Response({"encoding": encoding}, status=202)


class Sam2StatusApi(APIView):
    """Whether SAM 2 can answer now; if not, why and how to install it."""

    class OutputSerializer(serializers.Serializer):
        available = serializers.BooleanField(help_text="a click would be answered now")
        state = serializers.ChoiceField(
            choices=["ready", "busy", "starting", "not_installed", "offline"]
        )
        workers = serializers.IntegerField()
        message = serializers.CharField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(jobs.sam2_status())
