from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.jobs.enums import JobKind
from backend.jobs.selectors import job_get_for_user
from backend.masklets.selectors import propagation_job_get_for_user


class BackgroundJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    project = serializers.IntegerField(source="project_id")
    video = serializers.IntegerField(source="video_id", allow_null=True)
    status = serializers.CharField()
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    error = serializers.CharField()
    cancel_requested = serializers.BooleanField()
    attempts = serializers.IntegerField()
    worker = serializers.CharField(source="worker_label")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class JobDetailApi(APIView):
    """Any background job's status (members of its project). Reads only."""

    @extend_schema(responses=BackgroundJobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        if job.kind == JobKind.PROPAGATION:
            # Blind consensus: another annotator's propagation is not there for an annotator.
            propagation_job_get_for_user(user=request.user, job_id=job_id)
        return Response(BackgroundJobOutputSerializer(job).data)
