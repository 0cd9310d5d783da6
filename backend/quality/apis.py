import csv
import io

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.fields import ID_MAX, INT_MAX
from backend.api.utils import UserBriefSerializer, query_params_validated
from backend.masklets.apis import MaskletOutputSerializer
from backend.projects.apis import TaskOutputSerializer, task_outputs
from backend.projects.enums import Role
from backend.projects.permissions import MANAGER_ONLY
from backend.projects.selectors import project_get_for_user
from backend.quality import selectors, services
from backend.quality.models import ACTIVITY_MAX_SECONDS
from backend.videos.models import Video
from backend.videos.selectors import video_get_for_user

# Who reads quality numbers: managers, and reviewers (they judge the same work).
QA_READERS = (Role.MANAGER, Role.REVIEWER)
# Longest throughput window the dashboard serves.
MAX_DASHBOARD_DAYS = 365


class ConsensusAssignApi(APIView):
    class InputSerializer(serializers.Serializer):
        video = serializers.IntegerField(min_value=1, max_value=ID_MAX)
        annotators = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            required=False,
            max_length=100,
        )

    @extend_schema(request=InputSerializer, responses={201: TaskOutputSerializer(many=True)})
    def post(self, request: Request, project_id: int) -> Response:
        """Give a video to the project's consensus_k annotators (a whole-video task each)."""
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGER_ONLY)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = get_object_or_404(Video, pk=data.validated_data["video"], project=project)
        tasks = services.consensus_assign(
            project=project,
            actor=request.user,
            video=video,
            annotators=data.validated_data.get("annotators"),
        )
        return Response(task_outputs(project.pk, tasks), status=201)


class ConsensusMatchSerializer(serializers.Serializer):
    masklet_a = serializers.IntegerField()
    masklet_b = serializers.IntegerField()
    j = serializers.FloatField()
    f = serializers.FloatField()
    jf = serializers.FloatField()


class ConsensusOutputSerializer(serializers.Serializer):
    class AnnotatorSerializer(serializers.Serializer):
        user = UserBriefSerializer()
        task = serializers.IntegerField()
        masklets = serializers.ListField(child=serializers.IntegerField())

    class PairSerializer(serializers.Serializer):
        a = UserBriefSerializer()
        b = UserBriefSerializer()
        matches = ConsensusMatchSerializer(many=True)
        unmatched_a = serializers.ListField(child=serializers.IntegerField())
        unmatched_b = serializers.ListField(child=serializers.IntegerField())
        j = serializers.FloatField(allow_null=True)
        f = serializers.FloatField(allow_null=True)
        jf = serializers.FloatField(allow_null=True)

    class GroupSerializer(serializers.Serializer):
        masklets = serializers.ListField(child=serializers.IntegerField())
        jf = serializers.FloatField(allow_null=True)
        resolved = serializers.IntegerField(allow_null=True)

    k = serializers.IntegerField()
    annotators = AnnotatorSerializer(many=True)
    pairs = PairSerializer(many=True)
    groups = GroupSerializer(many=True)


class ConsensusGetApi(APIView):
    @extend_schema(responses=ConsensusOutputSerializer)
    def get(self, request: Request, video_id: int) -> Response:
        """Agreement between the video's annotators: Hungarian matching on mean IoU, J/F/J&F
        (DAVIS 2017) per matched pair. Computed on request, cached until a masklet changes."""
        video = video_get_for_user(user=request.user, video_id=video_id, roles=QA_READERS)
        return Response(ConsensusOutputSerializer(selectors.consensus_get(video=video)).data)


class ConsensusResolveApi(APIView):
    class InputSerializer(serializers.Serializer):
        chosen = serializers.IntegerField(min_value=1, max_value=ID_MAX)
        discard = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            min_length=1,
            max_length=100,
        )

    class OutputSerializer(serializers.Serializer):
        chosen = MaskletOutputSerializer()
        discarded = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, video_id: int) -> Response:
        """Keep one annotator's version of an object; the others become consensus_discarded
        (exports skip them)."""
        video = video_get_for_user(user=request.user, video_id=video_id, roles=MANAGER_ONLY)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chosen, discarded = services.consensus_resolve(
            video=video,
            actor=request.user,
            chosen=data.validated_data["chosen"],
            discard=data.validated_data["discard"],
        )
        return Response(self.OutputSerializer({"chosen": chosen, "discarded": discarded}).data)


class GroundTruthMarkApi(APIView):
    class InputSerializer(serializers.Serializer):
        masklets = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            allow_empty=True,
            max_length=1000,
        )

    class OutputSerializer(serializers.Serializer):
        masklets = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, video_id: int) -> Response:
        """Exactly these masklets of the video become its ground truth (empty list: none)."""
        video = video_get_for_user(user=request.user, video_id=video_id, roles=MANAGER_ONLY)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = services.ground_truth_mark(
            video=video, actor=request.user, masklets=data.validated_data["masklets"]
        )
        return Response({"masklets": ids})


class GroundTruthScoreSerializer(serializers.Serializer):
    user = UserBriefSerializer()
    matched = serializers.IntegerField()
    missed = serializers.IntegerField()
    extra = serializers.IntegerField()
    j = serializers.FloatField()
    f = serializers.FloatField()
    jf = serializers.FloatField()


class GroundTruthScoresApi(APIView):
    @extend_schema(responses=GroundTruthScoreSerializer(many=True))
    def get(self, request: Request, video_id: int) -> Response:
        """Per annotator: their masklets matched to the ground truth (Hungarian on mean IoU);
        means over ground-truth masklets, a missed one counting 0 (DAVIS 2017). [] without
        ground truth."""
        video = video_get_for_user(user=request.user, video_id=video_id, roles=QA_READERS)
        rows = selectors.ground_truth_scores_get(video=video)
        return Response(GroundTruthScoreSerializer(rows, many=True).data)


class ActivityRecordApi(APIView):
    class InputSerializer(serializers.Serializer):
        video = serializers.IntegerField(min_value=1, max_value=ID_MAX)
        seconds = serializers.IntegerField(min_value=1, max_value=ACTIVITY_MAX_SECONDS)
        frame_index = serializers.IntegerField(
            min_value=0, max_value=INT_MAX, required=False, allow_null=True
        )

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        """A batch of active annotating time from the workspace (any member of the project)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = video_get_for_user(user=request.user, video_id=data.validated_data["video"])
        services.activity_record(
            user=request.user,
            video=video,
            seconds=data.validated_data["seconds"],
            frame_index=data.validated_data.get("frame_index"),
        )
        return Response(status=204)


class DashboardFilterSerializer(serializers.Serializer):
    annotator = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX, help_text="one annotator's user id"
    )
    days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DASHBOARD_DAYS,
        required=False,
        default=30,
        help_text="throughput window in days, today included",
    )


class DashboardOutputSerializer(serializers.Serializer):
    class StatusCountsSerializer(serializers.Serializer):
        draft = serializers.IntegerField()
        submitted = serializers.IntegerField()
        accepted = serializers.IntegerField()
        rejected = serializers.IntegerField()
        reworked = serializers.IntegerField()

    class TotalsSerializer(serializers.Serializer):
        masklets = serializers.IntegerField()
        frames_annotated = serializers.IntegerField()
        clicks = serializers.IntegerField()
        active_seconds = serializers.IntegerField()
        reviews = serializers.IntegerField()
        unsatisfactory = serializers.IntegerField()

    class AnnotatorSerializer(serializers.Serializer):
        user = UserBriefSerializer()
        masklets = serializers.IntegerField()
        accepted = serializers.IntegerField()
        rejected = serializers.IntegerField(
            help_text="unsatisfactory verdicts on their masklets (rejection_rate = this / verdicts)"
        )
        frames_annotated = serializers.IntegerField(
            help_text="non-empty masks (one masklet, one frame) made by click, edit or propagation"
        )
        clicks = serializers.IntegerField(
            help_text="prompts (clicks and boxes) given that SAM 2 answered, undone ones included"
        )
        clicks_per_masklet = serializers.FloatField(allow_null=True)
        active_seconds = serializers.IntegerField()
        seconds_per_frame = serializers.FloatField(allow_null=True)
        rejection_rate = serializers.FloatField(allow_null=True)
        agreement_jf = serializers.FloatField(allow_null=True)
        ground_truth_jf = serializers.FloatField(allow_null=True)

    class ThroughputSerializer(serializers.Serializer):
        date = serializers.DateField()
        frames_annotated = serializers.IntegerField()
        submitted = serializers.IntegerField()
        accepted = serializers.IntegerField()

    class AutomaticSerializer(serializers.Serializer):
        """The automatic pipeline's yield (auto-annotation jobs), project-wide."""

        proposed = serializers.IntegerField(help_text="auto masklets the jobs made")
        submitted = serializers.IntegerField(help_text="propagated and sent to verification")
        awaiting = serializers.IntegerField(help_text="submitted, no verdict yet")
        accepted = serializers.IntegerField(help_text="accepted as they were")
        rejected = serializers.IntegerField(help_text="judged unsatisfactory: manual tasks")
        acceptance_rate = serializers.FloatField(allow_null=True)
        corrected_masklets = serializers.IntegerField(
            help_text="rejected auto masklets an annotator now corrects"
        )
        corrected_seconds = serializers.FloatField()
        seconds_per_corrected_masklet = serializers.FloatField(allow_null=True)
        manual_masklets = serializers.IntegerField()
        manual_seconds = serializers.FloatField()
        seconds_per_manual_masklet = serializers.FloatField(allow_null=True)

    status_counts = StatusCountsSerializer()
    totals = TotalsSerializer()
    annotators = AnnotatorSerializer(many=True)
    throughput = ThroughputSerializer(many=True)
    automatic = AutomaticSerializer()


def _dashboard(request: Request, project_id: int) -> dict:
    project = project_get_for_user(user=request.user, project_id=project_id, roles=QA_READERS)
    filters = query_params_validated(DashboardFilterSerializer, request)
    return selectors.dashboard_get(
        project=project,
        annotator_id=filters.get("annotator"),
        days=filters["days"],
    )


class DashboardApi(APIView):
    @extend_schema(parameters=[DashboardFilterSerializer], responses=DashboardOutputSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        """QA numbers of the project (managers and reviewers)."""
        return Response(DashboardOutputSerializer(_dashboard(request, project_id)).data)


class DashboardCsvApi(APIView):
    @extend_schema(
        parameters=[DashboardFilterSerializer],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, "the annotators table")},
    )
    def get(self, request: Request, project_id: int) -> HttpResponse:
        """The dashboard's annotators table as a CSV download (empty cell = no value)."""
        rows = _dashboard(request, project_id)["annotators"]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(selectors.CSV_COLUMNS)
        for row in rows:
            values = {**row, "user_id": row["user"]["id"], "username": row["user"]["username"]}
            writer.writerow(["" if values[c] is None else values[c] for c in selectors.CSV_COLUMNS])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="project-{project_id}-annotators.csv"'
        )
        return response
