from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.fields import ID_MAX, INT_MAX
from backend.api.pagination import PageNumberPagination
from backend.api.utils import UserBriefSerializer, paginated_response
from backend.common.exceptions import ApplicationError
from backend.exports import selectors, services
from backend.exports.enums import ExportFormat, ImportFormat
from backend.masklets.apis import MaskletOutputSerializer
from backend.projects.permissions import MANAGER_ONLY
from backend.projects.selectors import project_get_for_user
from backend.videos.selectors import video_get_for_user
from backend.videos.uploads import StreamedUploadMixin


class ExportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    format = serializers.CharField()
    include_unaccepted = serializers.BooleanField()
    label_ids = serializers.ListField(child=serializers.IntegerField())
    video_ids = serializers.ListField(child=serializers.IntegerField())
    frame_step = serializers.IntegerField()
    status = serializers.CharField()
    progress = serializers.FloatField()
    error = serializers.CharField()
    size_bytes = serializers.IntegerField()
    result = serializers.JSONField(
        help_text='{"warnings": [...], "warning_count": n} once done: what the format could '
        "not keep (also in the zip's warnings.txt)."
    )
    created_by = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ExportJobListApi(APIView):
    """The project's exports, newest first (any member)."""

    pagination_class = PageNumberPagination

    @extend_schema(responses=ExportJobOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.export_job_list(project=project),
            serializer_class=ExportJobOutputSerializer,
        )


class ExportJobCreateApi(APIView):
    """Start an export in the background (managers)."""

    class InputSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=ExportFormat.choices)
        include_unaccepted = serializers.BooleanField(default=False)
        label_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            required=False,
            default=list,
        )
        video_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            required=False,
            default=list,
        )
        frame_step = serializers.IntegerField(
            min_value=1, max_value=INT_MAX, required=False, allow_null=True
        )

    @extend_schema(request=InputSerializer, responses={201: ExportJobOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGER_ONLY)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.export_job_create(
            project=project, author=request.user, **data.validated_data
        )
        return Response(ExportJobOutputSerializer(job).data, status=201)


class ExportJobDetailApi(APIView):
    @extend_schema(responses=ExportJobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = selectors.export_job_get_for_user(user=request.user, job_id=job_id)
        return Response(ExportJobOutputSerializer(job).data)


class ExportJobDownloadApi(APIView):
    """The finished zip (any member but a blind annotator, see export_job_get_for_download):
    streamed from local storage, or a signed URL."""

    @extend_schema(responses={(200, "application/zip"): bytes})
    def get(self, request: Request, job_id: int) -> HttpResponse:
        job = selectors.export_job_get_for_download(user=request.user, job_id=job_id)
        if not job.is_downloadable:
            raise ApplicationError(
                "The export is not finished.", extra={"status": job.status}, status=409
            )
        filename = f"project-{job.project_id}-{job.format}-{job.pk}.zip"
        try:
            default_storage.path(job.file)
        except NotImplementedError:
            return HttpResponseRedirect(default_storage.url(job.file))
        try:
            handle = default_storage.open(job.file, "rb")
        except FileNotFoundError as exc:
            raise Http404("The export file is missing from storage.") from exc
        return FileResponse(
            handle, as_attachment=True, filename=filename, content_type="application/zip"
        )


class MaskletImportApi(StreamedUploadMixin, APIView):
    """Import masklets from an SA-V JSON, an SA-V val/test PNG zip, a DAVIS 2017 or
    YouTube-VOS palette PNG zip or a YouTube-VIS JSON onto a ready video (managers).
    All or nothing."""

    parser_classes = [MultiPartParser]

    @classmethod
    def upload_admit(cls, *, user, video_id: int) -> None:  # type: ignore[no-untyped-def]
        """Checked before the body is read (backend/api/request_body.py)."""
        video_get_for_user(user=user, video_id=video_id, roles=MANAGER_ONLY)

    class InputSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=ImportFormat.choices)
        file = serializers.FileField()
        source_video = serializers.CharField(
            max_length=255,
            required=False,
            help_text="Which video of a multi-video file: a YouTube-VIS id or name, or the "
            "path of a video folder in a zip (a base name no other folder has is enough).",
        )

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: MaskletOutputSerializer(many=True)},
    )
    def post(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(user=request.user, video_id=video_id, roles=MANAGER_ONLY)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        masklets = services.masklets_import(
            video=video,
            actor=request.user,
            format=data.validated_data["format"],
            file=upload,
            file_name=PurePosixPath(upload.name or "upload").name,
            source_video=data.validated_data.get("source_video"),
        )
        return Response(MaskletOutputSerializer(masklets, many=True).data, status=201)


class FormatSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class FormatListApi(APIView):
    """The dataset formats exports write and imports read, for pickers (any logged-in user)."""

    class OutputSerializer(serializers.Serializer):
        export = FormatSerializer(many=True)
        imports = FormatSerializer(many=True, source="import_")

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        def formats(choices: list[tuple[str, str]]) -> list[dict[str, str]]:
            return [{"value": value, "label": str(label)} for value, label in choices]

        return Response(
            self.OutputSerializer(
                {"export": formats(ExportFormat.choices), "import_": formats(ImportFormat.choices)}
            ).data
        )
