"""The review workflow over HTTP: submit, history, the verification queue, verdicts,
comments, manager overrides and the project-wide masklet list."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.fields import ID_MAX, INT_MAX
from backend.api.pagination import PageNumberPagination
from backend.api.utils import UserBriefSerializer, paginated_response, query_params_validated
from backend.masklets.apis import MaskletOutputSerializer
from backend.masklets.enums import MaskletStatus
from backend.masklets.models import Masklet
from backend.masklets.selectors import masklet_get_for_user
from backend.projects.permissions import membership_require
from backend.reviews import selectors, services
from backend.reviews.enums import Verdict
from backend.reviews.models import ReviewAssignment
from backend.reviews.selectors import REVIEWER_ROLES

# Pinned comments one verdict may carry.
MAX_PINNED_COMMENTS = 200


class StatusChangeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    action = serializers.CharField()
    actor = UserBriefSerializer(allow_null=True)
    comment = serializers.CharField()
    override = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class ReviewOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reviewer = UserBriefSerializer(allow_null=True)
    round = serializers.IntegerField()
    verdict = serializers.CharField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class CommentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserBriefSerializer(allow_null=True)
    review = serializers.IntegerField(source="review_id", allow_null=True)
    frame_index = serializers.IntegerField()
    x = serializers.FloatField(allow_null=True)
    y = serializers.FloatField(allow_null=True)
    text = serializers.CharField()
    resolved = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class VideoBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    frame_count = serializers.IntegerField()
    fps = serializers.FloatField()


class AssignmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    masklet = MaskletOutputSerializer()
    video = VideoBriefSerializer(source="masklet.video")
    round = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class ProjectMaskletOutputSerializer(MaskletOutputSerializer):
    video_name = serializers.CharField(source="video.name")
    annotator = serializers.SerializerMethodField()

    def get_annotator(self, masklet: Masklet) -> dict | None:
        user = masklet.task.assignee if masklet.task_id is not None else masklet.created_by
        return None if user is None else {"id": user.pk, "username": user.username}


def _masklet_data(masklet: Masklet) -> dict:
    """The masklet as the masklets app shows it, with its frame count."""
    return MaskletOutputSerializer(selectors.masklet_with_frame_count(masklet_id=masklet.pk)).data


def _assignment_data(assignment: ReviewAssignment) -> dict:
    assignment.masklet = selectors.masklet_with_frame_count(masklet_id=assignment.masklet_id)
    return AssignmentOutputSerializer(assignment).data


class MaskletSubmitApi(APIView):
    class InputSerializer(serializers.Serializer):
        version = serializers.IntegerField(min_value=1, max_value=INT_MAX)

    @extend_schema(request=InputSerializer, responses=MaskletOutputSerializer)
    def post(self, request: Request, masklet_id: int) -> Response:
        """Hands the masklet to verification (its annotator or a manager). 409 when the
        version is stale or the masklet is already under review or accepted."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            masklet = selectors.masklet_get_for_submit(
                user=request.user, masklet_id=masklet_id, lock=True
            )
            services.masklet_submit(
                masklet=masklet, actor=request.user, version=data.validated_data["version"]
            )
        return Response(_masklet_data(masklet))


class MaskletHistoryApi(APIView):
    @extend_schema(responses=StatusChangeOutputSerializer(many=True))
    def get(self, request: Request, masklet_id: int) -> Response:
        masklet = masklet_get_for_user(user=request.user, masklet_id=masklet_id)
        changes = selectors.masklet_status_change_list(masklet=masklet)
        return Response(StatusChangeOutputSerializer(changes, many=True).data)


class MaskletReviewListApi(APIView):
    @extend_schema(responses=ReviewOutputSerializer(many=True))
    def get(self, request: Request, masklet_id: int) -> Response:
        masklet = masklet_get_for_user(user=request.user, masklet_id=masklet_id)
        reviews = selectors.review_list(masklet=masklet)
        return Response(ReviewOutputSerializer(reviews, many=True).data)


class MaskletCommentListApi(APIView):
    @extend_schema(responses=CommentOutputSerializer(many=True))
    def get(self, request: Request, masklet_id: int) -> Response:
        masklet = masklet_get_for_user(user=request.user, masklet_id=masklet_id)
        comments = selectors.review_comment_list(masklet=masklet)
        return Response(CommentOutputSerializer(comments, many=True).data)


class ReviewCommentResolveApi(APIView):
    class InputSerializer(serializers.Serializer):
        resolved = serializers.BooleanField(
            required=False, default=True, help_text="false reopens the comment"
        )

    @extend_schema(request=InputSerializer, responses=CommentOutputSerializer)
    def post(self, request: Request, masklet_id: int, comment_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = selectors.review_comment_get_for_resolve(
            user=request.user, masklet_id=masklet_id, comment_id=comment_id
        )
        services.review_comment_resolve(
            comment=comment, actor=request.user, resolved=data.validated_data["resolved"]
        )
        return Response(CommentOutputSerializer(comment).data)


class ReviewQueueApi(APIView):
    class OutputSerializer(serializers.Serializer):
        waiting = serializers.IntegerField(help_text="masklets you could be given next")
        in_review = serializers.IntegerField(help_text="masklets a reviewer holds a lease on")
        my_assignment = AssignmentOutputSerializer(allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = membership_require(
            user=request.user, project_id=project_id, roles=REVIEWER_ROLES
        ).project
        summary = selectors.review_queue_summary(project=project, user=request.user)
        mine = summary.my_assignment
        return Response(
            {
                "waiting": summary.waiting,
                "in_review": summary.in_review,
                "my_assignment": _assignment_data(mine) if mine is not None else None,
            }
        )


class ReviewQueueNextApi(APIView):
    @extend_schema(request=None, responses={200: AssignmentOutputSerializer, 204: None})
    def post(self, request: Request, project_id: int) -> Response:
        """The caller's current assignment, or a lease on the next masklet to verify
        (oldest submission first); 204 when nothing is waiting for this caller."""
        project = membership_require(
            user=request.user, project_id=project_id, roles=REVIEWER_ROLES
        ).project
        assignment = services.review_assignment_claim(project=project, reviewer=request.user)
        if assignment is None:
            return Response(status=204)
        return Response(_assignment_data(assignment))


class ReviewAssignmentRenewApi(APIView):
    @extend_schema(request=None, responses=AssignmentOutputSerializer)
    def post(self, request: Request, assignment_id: int) -> Response:
        """Extends the lease (the review screen calls it while open). 409 once it ended."""
        with transaction.atomic():
            assignment = selectors.review_assignment_get_for_user(
                user=request.user, assignment_id=assignment_id, lock=True, reviewing=True
            )
            services.review_assignment_renew(assignment=assignment)
        return Response(_assignment_data(assignment))


class ReviewAssignmentReleaseApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, assignment_id: int) -> Response:
        """Gives the masklet back to the queue (its reviewer, or a manager). Idempotent: a
        client whose release failed sends it again."""
        assignment = selectors.review_assignment_get_for_user(
            user=request.user, assignment_id=assignment_id, allow_manager=True
        )
        services.review_assignment_release(assignment=assignment)
        return Response(status=204)


class PinnedCommentSerializer(serializers.Serializer):
    frame_index = serializers.IntegerField(min_value=0, max_value=INT_MAX)
    x = serializers.FloatField(min_value=0.0, max_value=1.0, allow_null=True, default=None)
    y = serializers.FloatField(min_value=0.0, max_value=1.0, allow_null=True, default=None)
    text = serializers.CharField(max_length=2000)

    def validate(self, attrs):  # type: ignore[no-untyped-def]
        if (attrs["x"] is None) != (attrs["y"] is None):
            raise serializers.ValidationError(
                "Give both x and y (normalised to [0, 1]), or neither."
            )
        return attrs


class ReviewVerdictApi(APIView):
    class InputSerializer(serializers.Serializer):
        verdict = serializers.ChoiceField(choices=Verdict.choices)
        comment = serializers.CharField(
            max_length=5000, allow_blank=True, required=False, default=""
        )
        comments = serializers.ListField(
            child=PinnedCommentSerializer(),
            required=False,
            default=list,
            max_length=MAX_PINNED_COMMENTS,
        )

    class OutputSerializer(serializers.Serializer):
        review = ReviewOutputSerializer()
        masklet = MaskletOutputSerializer()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, assignment_id: int) -> Response:
        """Satisfactory or unsatisfactory on the assignment's masklet; an unsatisfactory
        verdict needs a comment or at least one pinned comment."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            assignment = selectors.review_assignment_get_for_user(
                user=request.user, assignment_id=assignment_id, lock=True, reviewing=True
            )
            review, masklet = services.review_verdict_give(
                assignment=assignment,
                reviewer=request.user,
                verdict=data.validated_data["verdict"],
                comment=data.validated_data["comment"],
                comments=[services.PinnedComment(**c) for c in data.validated_data["comments"]],
            )
        return Response(
            {"review": ReviewOutputSerializer(review).data, "masklet": _masklet_data(masklet)}
        )


class MaskletOverrideApi(APIView):
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[MaskletStatus.ACCEPTED, MaskletStatus.REJECTED, MaskletStatus.DRAFT]
        )
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses=MaskletOutputSerializer)
    def post(self, request: Request, masklet_id: int) -> Response:
        """A manager sets the status by hand; recorded in the history as an override."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            masklet = selectors.masklet_get_for_override(
                user=request.user, masklet_id=masklet_id, lock=True
            )
            services.masklet_status_override(
                masklet=masklet, actor=request.user, **data.validated_data
            )
        return Response(_masklet_data(masklet))


class ProjectMaskletListApi(APIView):
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=MaskletStatus.choices, required=False)
        annotator = serializers.IntegerField(
            required=False, min_value=1, max_value=ID_MAX, help_text="user id"
        )
        video = serializers.IntegerField(
            required=False, min_value=1, max_value=ID_MAX, help_text="video id"
        )

    @extend_schema(
        parameters=[FilterSerializer], responses=ProjectMaskletOutputSerializer(many=True)
    )
    def get(self, request: Request, project_id: int) -> Response:
        """Masklets across the project: annotators see the ones they annotate, reviewers and
        managers all of them."""
        membership = membership_require(user=request.user, project_id=project_id)
        filters = query_params_validated(self.FilterSerializer, request)
        masklets = selectors.project_masklet_list(
            project=membership.project,
            user=request.user,
            role=membership.role,
            **filters,
        )
        return paginated_response(
            request=request,
            view=self,
            queryset=masklets,
            serializer_class=ProjectMaskletOutputSerializer,
        )
