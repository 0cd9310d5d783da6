from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.api import serializers
from backend.api.fields import ID_MAX, INT_MAX
from backend.api.pagination import PageNumberPagination
from backend.api.utils import UserBriefSerializer, paginated_response
from backend.projects import selectors, services
from backend.projects.enums import Role, TaskStage
from backend.projects.models import Label, Membership, Project, Task
from backend.projects.permissions import MANAGER_ONLY, membership_require
from backend.videos.models import Video

HEX_COLOR = r"^#[0-9a-fA-F]{6}$"


class ProjectOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    guidelines = serializers.CharField()
    my_role = serializers.ChoiceField(choices=Role.choices)
    frame_step = serializers.IntegerField()
    verifications_required = serializers.IntegerField()
    consensus_k = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ProjectSettingsSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    guidelines = serializers.CharField(allow_blank=True, required=False)
    frame_step = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    verifications_required = serializers.IntegerField(min_value=1, max_value=20, required=False)
    consensus_k = serializers.IntegerField(min_value=1, max_value=20, required=False)


class ProjectListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses=ProjectOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.project_list_for_user(user=request.user),
            serializer_class=ProjectOutputSerializer,
        )


class ProjectCreateApi(APIView):
    @extend_schema(request=ProjectSettingsSerializer, responses={201: ProjectOutputSerializer})
    def post(self, request: Request) -> Response:
        data = ProjectSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(creator=request.user, **data.validated_data)
        project = selectors.project_get_for_user(user=request.user, project_id=project.pk)
        return Response(ProjectOutputSerializer(project).data, status=201)


class ProjectDetailApi(APIView):
    @extend_schema(responses=ProjectOutputSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return Response(ProjectOutputSerializer(project).data)


class ProjectUpdateApi(APIView):
    @extend_schema(request=ProjectSettingsSerializer, responses=ProjectOutputSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=MANAGER_ONLY
        )
        data = ProjectSettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.project_update(project=project, actor=request.user, data=data.validated_data)
        return Response(ProjectOutputSerializer(project).data)


class MembershipOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = UserBriefSerializer()
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses=MembershipOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.membership_list(project=project),
            serializer_class=MembershipOutputSerializer,
        )


class MembershipAddApi(APIView):
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        role = serializers.ChoiceField(choices=Role.choices)

    @extend_schema(request=InputSerializer, responses={201: MembershipOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=MANAGER_ONLY
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_add(
            project=project, actor=request.user, **data.validated_data
        )
        return Response(MembershipOutputSerializer(membership).data, status=201)


def _membership_for_manager(request: Request, membership_id: int) -> Membership:
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    membership_require(user=request.user, project_id=membership.project_id, roles=MANAGER_ONLY)
    return membership


class MembershipDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices)

    @extend_schema(request=InputSerializer, responses=MembershipOutputSerializer)
    def patch(self, request: Request, membership_id: int) -> Response:
        membership = _membership_for_manager(request, membership_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.membership_update(
            membership=membership, actor=request.user, role=data.validated_data["role"]
        )
        return Response(MembershipOutputSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, membership_id: int) -> Response:
        membership = _membership_for_manager(request, membership_id)
        services.membership_remove(membership=membership, actor=request.user)
        return Response(status=204)


class LabelOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    color = serializers.CharField()
    order = serializers.IntegerField()
    hotkey = serializers.IntegerField(allow_null=True, help_text="digit key 1-9, or null")


class LabelInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    color = serializers.RegexField(HEX_COLOR, required=False, default="#1f77b4")
    hotkey = serializers.IntegerField(min_value=1, max_value=9, allow_null=True, required=False)
    order = serializers.IntegerField(
        min_value=0, max_value=100_000, required=False, help_text="default: after the last"
    )


class LabelListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses=LabelOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.label_list(project=project),
            serializer_class=LabelOutputSerializer,
        )


class LabelCreateApi(APIView):
    @extend_schema(request=LabelInputSerializer, responses={201: LabelOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=MANAGER_ONLY
        )
        data = LabelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        label = services.label_create(project=project, actor=request.user, **data.validated_data)
        return Response(LabelOutputSerializer(label).data, status=201)


class LabelDetailApi(APIView):
    def _get(self, request: Request, label_id: int) -> Label:
        label = get_object_or_404(Label, pk=label_id)
        membership_require(user=request.user, project_id=label.project_id, roles=MANAGER_ONLY)
        return label

    @extend_schema(request=LabelInputSerializer, responses=LabelOutputSerializer)
    def patch(self, request: Request, label_id: int) -> Response:
        label = self._get(request, label_id)
        data = LabelInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.label_update(label=label, actor=request.user, data=data.validated_data)
        return Response(LabelOutputSerializer(label).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, label_id: int) -> Response:
        services.label_delete(label=self._get(request, label_id), actor=request.user)
        return Response(status=204)


class LabelReorderApi(APIView):
    class InputSerializer(serializers.Serializer):
        label_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            max_length=1000,
            help_text="every label, in order",
        )

    @extend_schema(request=InputSerializer, responses=LabelOutputSerializer(many=True))
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=MANAGER_ONLY
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        labels = services.label_reorder(
            project=project, actor=request.user, label_ids=data.validated_data["label_ids"]
        )
        return Response(LabelOutputSerializer(labels, many=True).data)


class TaskProgressSerializer(serializers.Serializer):
    frames_total = serializers.IntegerField(
        help_text="frames to annotate in the range (every frame_step-th frame)"
    )
    frames_annotated = serializers.IntegerField(
        help_text="of those, frames where a masklet of the task has a non-empty mask"
    )
    masklets = serializers.IntegerField()
    submitted = serializers.IntegerField(help_text="masklets under review")
    accepted = serializers.IntegerField()


class TaskOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    video = serializers.IntegerField(source="video_id")
    assignee = UserBriefSerializer(allow_null=True)
    stage = serializers.ChoiceField(choices=TaskStage.choices)
    frame_start = serializers.IntegerField()
    frame_end = serializers.IntegerField(allow_null=True)
    progress = serializers.SerializerMethodField()

    @extend_schema_field(TaskProgressSerializer)
    def get_progress(self, task: Task) -> dict:
        step = task.project.frame_step
        end = task.range_end  # type: ignore[attr-defined]
        first, stop = -(-task.frame_start // step), -(-end // step)
        return {
            "frames_total": max(0, stop - first),
            "frames_annotated": task.frames_annotated,  # type: ignore[attr-defined]
            "masklets": task.masklet_count,  # type: ignore[attr-defined]
            "submitted": task.submitted_count,  # type: ignore[attr-defined]
            "accepted": task.accepted_count,  # type: ignore[attr-defined]
        }


def task_outputs(project_id: int, tasks: list[Task]) -> list[dict]:
    """Tasks as the list shows them (with progress), read again after a write."""
    project = Project.objects.get(pk=project_id)
    fresh = {
        t.pk: t for t in selectors.task_list(project=project).filter(pk__in=[t.pk for t in tasks])
    }
    return TaskOutputSerializer([fresh[t.pk] for t in tasks], many=True).data


class TaskInputSerializer(serializers.Serializer):
    video_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    assignee = serializers.CharField(
        max_length=150,
        allow_null=True,
        required=False,
        help_text="username of the annotator, or null",
    )
    stage = serializers.ChoiceField(choices=TaskStage.choices, required=False)
    frame_start = serializers.IntegerField(
        min_value=0, max_value=INT_MAX, required=False, default=0
    )
    frame_end = serializers.IntegerField(
        min_value=1, max_value=INT_MAX, allow_null=True, required=False, default=None
    )


def _resolve_task_input(project_id: int, data: dict) -> dict:
    resolved = dict(data)
    if "video_id" in resolved:
        resolved["video"] = get_object_or_404(
            Video, pk=resolved.pop("video_id"), project_id=project_id
        )
    if "assignee" in resolved:
        username = resolved["assignee"]
        resolved["assignee"] = (
            None if username is None else User.objects.filter(username=username).first()
        )
        if username is not None and resolved["assignee"] is None:
            raise serializers.ValidationError(
                {"assignee": [f"There is no user named {username!r}."]}
            )
    return resolved


class TaskListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses=TaskOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.task_list(project=project),
            serializer_class=TaskOutputSerializer,
        )


class TaskCreateApi(APIView):
    @extend_schema(request=TaskInputSerializer, responses={201: TaskOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=MANAGER_ONLY
        )
        data = TaskInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = _resolve_task_input(project.pk, data.validated_data)
        fields.pop("stage", None)
        task = services.task_create(project=project, actor=request.user, **fields)
        return Response(task_outputs(project.pk, [task])[0], status=201)


class TaskDetailApi(APIView):
    def _get(self, request: Request, task_id: int) -> Task:
        task = get_object_or_404(
            Task.objects.select_related("video", "project", "assignee"), pk=task_id
        )
        membership_require(user=request.user, project_id=task.project_id, roles=MANAGER_ONLY)
        return task

    @extend_schema(request=TaskInputSerializer, responses=TaskOutputSerializer)
    def patch(self, request: Request, task_id: int) -> Response:
        task = self._get(request, task_id)
        data = TaskInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = _resolve_task_input(task.project_id, data.validated_data)
        fields.pop("video", None)
        services.task_update(task=task, actor=request.user, data=fields)
        return Response(task_outputs(task.project_id, [task])[0])

    @extend_schema(responses={204: None})
    def delete(self, request: Request, task_id: int) -> Response:
        services.task_delete(task=self._get(request, task_id), actor=request.user)
        return Response(status=204)


def _user_by_name(username: str | None, field: str) -> User | None:
    if username is None:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise serializers.ValidationError({field: [f"There is no user named {username!r}."]})
    return user


class TaskSplitApi(APIView):
    """Split a video (or a frame range of it) among annotators: one task each, consecutive
    parts with equal numbers of frames to annotate."""

    class InputSerializer(serializers.Serializer):
        video_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
        assignees = serializers.ListField(
            child=serializers.CharField(max_length=150, allow_null=True),
            min_length=1,
            max_length=100,
            help_text="usernames, one part each, in frame order; null leaves a part unassigned",
        )
        frame_start = serializers.IntegerField(
            min_value=0, max_value=INT_MAX, required=False, default=0
        )
        frame_end = serializers.IntegerField(
            min_value=1, max_value=INT_MAX, allow_null=True, required=False, default=None
        )

    @extend_schema(request=InputSerializer, responses={201: TaskOutputSerializer(many=True)})
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=MANAGER_ONLY
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        tasks = services.task_split(
            project=project,
            actor=request.user,
            video=get_object_or_404(Video, pk=fields["video_id"], project_id=project.pk),
            assignees=[_user_by_name(name, "assignees") for name in fields["assignees"]],
            frame_start=fields["frame_start"],
            frame_end=fields["frame_end"],
        )
        return Response(task_outputs(project.pk, tasks), status=201)


class TaskAssignApi(APIView):
    """Give several tasks to one annotator (or unassign them) at once."""

    class InputSerializer(serializers.Serializer):
        task_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            min_length=1,
            max_length=1000,
        )
        assignee = serializers.CharField(
            max_length=150, allow_null=True, help_text="username, or null to unassign"
        )

    @extend_schema(request=InputSerializer, responses=TaskOutputSerializer(many=True))
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=MANAGER_ONLY
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tasks = services.task_assign_bulk(
            project=project,
            actor=request.user,
            task_ids=data.validated_data["task_ids"],
            assignee=_user_by_name(data.validated_data["assignee"], "assignee"),
        )
        return Response(task_outputs(project.pk, tasks))
