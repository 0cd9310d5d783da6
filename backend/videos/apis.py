from pathlib import Path

from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.pagination import PageNumberPagination
from backend.api.utils import paginated_response, query_params_validated
from backend.common.exceptions import ApplicationError
from backend.projects.permissions import MANAGER_ONLY
from backend.projects.selectors import project_get_for_user
from backend.videos import delivery, services
from backend.videos.enums import VideoEnvironment, VideoSplit, VideoStatus
from backend.videos.models import Video
from backend.videos.selectors import video_get_for_user, video_list
from backend.videos.uploads import StreamedUploadMixin


class VideoOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    name = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    progress = serializers.FloatField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    fps = serializers.FloatField()
    frame_count = serializers.IntegerField()
    size_bytes = serializers.IntegerField()
    checksum = serializers.CharField()
    environment = serializers.CharField(help_text='SA-V video_environment; "" when unknown.')
    split = serializers.CharField(help_text='Dataset split; "" exports as train.')
    frame_url_template = serializers.SerializerMethodField()
    chunk_url_template = serializers.SerializerMethodField(
        help_text="frames {chunk} x chunk_size onwards at scrubbing size (longest side "
        f"{delivery.SCRUB_MAX_SIDE}), packed (see backend/videos/delivery.py)"
    )
    chunk_size = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_frame_url_template(self, video) -> str:  # type: ignore[no-untyped-def]
        return f"/api/v1/videos/{video.pk}/frames/{{frame}}.jpg"

    def get_chunk_url_template(self, video) -> str:  # type: ignore[no-untyped-def]
        return f"/api/v1/videos/{video.pk}/frames/chunks/{{chunk}}.sfc"

    def get_chunk_size(self, video) -> int:  # type: ignore[no-untyped-def]
        return delivery.FRAMES_PER_CHUNK


class VideoListApi(APIView):
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=VideoStatus.choices, required=False)

    @extend_schema(parameters=[FilterSerializer], responses=VideoOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        filters = query_params_validated(self.FilterSerializer, request)
        videos = video_list(project=project).filter(**filters)
        return paginated_response(
            request=request, view=self, queryset=videos, serializer_class=VideoOutputSerializer
        )


class VideoUploadApi(StreamedUploadMixin, APIView):
    """Multipart upload (field `file`). The body streams to a temporary file on disk, once
    `upload_admit` let the caller send it (backend/api/request_body.py)."""

    parser_classes = [MultiPartParser]

    @classmethod
    def upload_admit(cls, *, user, project_id: int) -> None:  # type: ignore[no-untyped-def]
        project_get_for_user(user=user, project_id=project_id, roles=MANAGER_ONLY)

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)
        name = serializers.CharField(max_length=255, required=False)

    @extend_schema(
        request={"multipart/form-data": InputSerializer}, responses={201: VideoOutputSerializer}
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGER_ONLY)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            temp_path = Path(upload.temporary_file_path())
        except AttributeError as exc:  # only the temporary-file upload handler is configured
            raise ApplicationError("The upload was not written to disk.", status=500) from exc
        video = services.video_create_from_file(
            project=project,
            creator=request.user,
            path=temp_path,
            name=data.validated_data.get("name") or upload.name,
        )
        return Response(VideoOutputSerializer(video).data, status=201)


class VideoImportApi(APIView):
    """Ingest a file that already lies on the server (managers; VIDEO_IMPORT_DIRS only)."""

    class InputSerializer(serializers.Serializer):
        path = serializers.CharField(max_length=4096)

    @extend_schema(request=InputSerializer, responses={201: VideoOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGER_ONLY)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = services.video_import_path(
            project=project, creator=request.user, path=data.validated_data["path"]
        )
        return Response(VideoOutputSerializer(video).data, status=201)


class VideoDetailApi(APIView):
    @extend_schema(responses=VideoOutputSerializer)
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(user=request.user, video_id=video_id)
        return Response(VideoOutputSerializer(video).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(user=request.user, video_id=video_id, roles=MANAGER_ONLY)
        services.video_delete(video=video, actor=request.user)
        return Response(status=204)


class VideoUpdateApi(APIView):
    """Set a video's dataset attributes (managers): its SA-V environment and its split."""

    class InputSerializer(serializers.Serializer):
        environment = serializers.ChoiceField(
            choices=[("", "Unknown"), *VideoEnvironment.choices], required=False
        )
        split = serializers.ChoiceField(
            choices=[("", "Unassigned"), *VideoSplit.choices], required=False
        )

    @extend_schema(request=InputSerializer, responses=VideoOutputSerializer)
    def patch(self, request: Request, video_id: int) -> Response:
        video = video_get_for_user(user=request.user, video_id=video_id, roles=MANAGER_ONLY)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = services.video_update(video=video, actor=request.user, data=data.validated_data)
        return Response(VideoOutputSerializer(video).data)


def _ready_video_for_user(request: Request, video_id: int) -> Video:
    video = video_get_for_user(user=request.user, video_id=video_id)
    if video.status != VideoStatus.READY:
        raise ApplicationError(
            "The video's frames are not extracted yet.",
            extra={"status": video.status},
            status=409,
        )
    return video


class VideoFrameApi(APIView):
    """One extracted frame as JPEG, for members of the video's project."""

    @extend_schema(
        responses={(200, delivery.JPEG_CONTENT_TYPE): bytes},
    )
    def get(self, request: Request, video_id: int, frame_index: int) -> HttpResponse:
        video = _ready_video_for_user(request, video_id)
        if not 0 <= frame_index < video.frame_count:
            raise Http404(f"The video has frames 0..{video.frame_count - 1}.")
        return delivery.frame_response(request, video, frame_index)


class VideoFrameChunkApi(APIView):
    """Frames chunk_index x chunk_size onwards, at scrubbing size, in one response
    (backend/videos/delivery.py)."""

    @extend_schema(
        responses={(200, delivery.CHUNK_CONTENT_TYPE): bytes},
    )
    def get(self, request: Request, video_id: int, chunk_index: int) -> HttpResponse:
        video = _ready_video_for_user(request, video_id)
        delivery.chunk_span(video, chunk_index)  # 404 past the end, before any storage read
        return delivery.chunk_response(request, video, chunk_index)
