"""Propagation jobs and SAM 2's availability."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.fields import ID_MAX, INT_MAX
from backend.api.pagination import PageNumberPagination
from backend.api.utils import paginated_response
from backend.masklets import jobs, selectors
from backend.masklets.enums import Direction
from backend.masklets.models import PropagationJob
from backend.masklets.propagation import (
    propagation_job_cancel,
    propagation_job_create,
    propagation_jobs_recover,
)
from backend.projects.enums import Role
from backend.projects.permissions import membership_require
from backend.videos.selectors import video_get_for_user


class JobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    video = serializers.IntegerField(source="video_id")
    masklets = serializers.SerializerMethodField()
    start_frame = serializers.IntegerField()
    direction = serializers.CharField()
    frame_start = serializers.IntegerField()
    frame_end = serializers.IntegerField(allow_null=True)
    overwrite = serializers.BooleanField()
    status = serializers.CharField()
    frames_total = serializers.IntegerField()
    frames_done = serializers.IntegerField()
    cancel_requested = serializers.BooleanField()
    error = serializers.CharField()
    worker = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_masklets(self, job) -> list[int]:  # type: ignore[no-untyped-def]
        shown = getattr(job, "shown_masklet_ids", None)  # set for readers who work blind
        return shown if shown is not None else sorted(m.pk for m in job.masklets.all())


def _shown_to(job: PropagationJob, user, role: str) -> PropagationJob:  # type: ignore[no-untyped-def]
    job.shown_masklet_ids = selectors.propagation_job_masklet_ids(job=job, user=user, role=role)  # type: ignore[attr-defined]
    return job


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
            ranges = [selectors.masklet_frame_range(masklet=m, role=role) for m in masklets]
            fields.setdefault("frame_start", max(start for start, _ in ranges))
            if fields.get("frame_end") is None and role != Role.MANAGER:
                fields["frame_end"] = min(end for _, end in ranges)
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
        queryset = selectors.propagation_job_list_for_user(video=video, user=request.user)
        role = membership_require(user=request.user, project_id=video.project_id).role

        def shown(job: PropagationJob) -> PropagationJob:
            job.video = video
            return _shown_to(job, request.user, role)

        return paginated_response(
            request=request,
            view=self,
            queryset=queryset,
            serializer_class=JobOutputSerializer,
            each=shown,
        )


class PropagationJobDetailApi(APIView):
    @extend_schema(responses=JobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = selectors.propagation_job_get_for_user(user=request.user, job_id=job_id)
        # Status reads double as a check for jobs whose worker died.
        if propagation_jobs_recover():
            job.refresh_from_db()
        return Response(JobOutputSerializer(_shown_to(job, request.user, job.viewer_role)).data)


class PropagationJobCancelApi(APIView):
    @extend_schema(request=None, responses=JobOutputSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        """A manager, or the annotator whose masklets the job writes, stops it."""
        job = selectors.propagation_job_get_for_cancel(user=request.user, job_id=job_id)
        job = propagation_job_cancel(job=job, actor=request.user)
        return Response(JobOutputSerializer(job).data)


class Sam2StatusApi(APIView):
    """Whether SAM 2 can answer now; if not, why and how to install it."""

    class OutputSerializer(serializers.Serializer):
        available = serializers.BooleanField()
        workers = serializers.IntegerField()
        message = serializers.CharField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(jobs.sam2_status())
