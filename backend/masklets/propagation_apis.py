"""Propagation jobs and SAM 2's availability."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.fields import ID_MAX, INT_MAX
from backend.api.utils import paginated_response
from backend.masklets import jobs
from backend.masklets.enums import Direction
from backend.masklets.models import Masklet, PropagationJob
from backend.masklets.propagation import (
    propagation_job_cancel,
    propagation_job_create,
    propagation_jobs_recover,
)
from backend.masklets.selectors import masklet_check_editor
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
        return sorted(m.pk for m in job.masklets.all())


class PropagationJobCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        masklet_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            min_length=1,
            max_length=200,
        )
        start_frame = serializers.IntegerField(min_value=0, max_value=INT_MAX)
        direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.FORWARD)
        frame_start = serializers.IntegerField(min_value=0, max_value=INT_MAX, default=0)
        frame_end = serializers.IntegerField(
            min_value=1, max_value=INT_MAX, allow_null=True, default=None
        )
        overwrite = serializers.BooleanField(
            default=False, help_text="also replace frames a person clicked or edited"
        )

    @extend_schema(request=InputSerializer, responses={201: JobOutputSerializer})
    def post(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(
            user=request.user, video_id=video_id, roles=(Role.MANAGER, Role.ANNOTATOR)
        )
        membership = membership_require(user=request.user, project_id=video.project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        ids = fields.pop("masklet_ids")
        masklets = list(Masklet.objects.filter(pk__in=ids, video=video).select_related("task"))
        if len(masklets) != len(set(ids)):
            return Response(
                {
                    "message": "Some masklets do not exist on this video.",
                    "extra": {"masklet_ids": ids},
                },
                status=400,
            )
        for masklet in masklets:
            masklet_check_editor(masklet=masklet, user=request.user, role=membership.role)
        jobs.require_sam2()
        job = propagation_job_create(video=video, author=request.user, masklets=masklets, **fields)
        return Response(JobOutputSerializer(job).data, status=201)


class PropagationJobListApi(APIView):
    @extend_schema(responses=JobOutputSerializer(many=True))
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(user=request.user, video_id=video_id)
        queryset = PropagationJob.objects.filter(video=video).prefetch_related("masklets")
        return paginated_response(
            request=request, view=self, queryset=queryset, serializer_class=JobOutputSerializer
        )


def _job_for_user(request: Request, job_id: int, roles=tuple(Role.values)) -> PropagationJob:  # type: ignore[no-untyped-def]
    job = get_object_or_404(PropagationJob.objects.select_related("video"), pk=job_id)
    membership_require(user=request.user, project_id=job.video.project_id, roles=roles)
    return job


class PropagationJobDetailApi(APIView):
    @extend_schema(responses=JobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = _job_for_user(request, job_id)
        # Status reads double as a check for jobs whose worker died.
        if propagation_jobs_recover():
            job.refresh_from_db()
        return Response(JobOutputSerializer(job).data)


class PropagationJobCancelApi(APIView):
    @extend_schema(request=None, responses=JobOutputSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = _job_for_user(request, job_id, roles=(Role.MANAGER, Role.ANNOTATOR))
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
