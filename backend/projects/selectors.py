from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Mod

from backend.accounts.models import User
from backend.projects.models import Label, Membership, Project, Task
from backend.projects.permissions import ANY_ROLE, membership_require


def project_list_for_user(*, user: User) -> QuerySet[Project]:
    role = Membership.objects.filter(project=OuterRef("pk"), user_id=user.pk).values("role")[:1]
    return Project.objects.filter(memberships__user_id=user.pk).annotate(my_role=Subquery(role))


def project_get_for_user(*, user: User, project_id: int, roles=ANY_ROLE) -> Project:
    membership = membership_require(user=user, project_id=project_id, roles=roles)
    project = membership.project
    project.my_role = membership.role  # type: ignore[attr-defined]
    return project


def membership_list(*, project: Project) -> QuerySet[Membership]:
    return Membership.objects.filter(project=project).select_related("user")


def label_list(*, project: Project) -> QuerySet[Label]:
    return Label.objects.filter(project=project)


def task_list(*, project: Project) -> QuerySet[Task]:
    """The project's tasks with their progress: ``range_end`` (exclusive end frame),
    ``frames_annotated`` (annotation frames of the range, multiples of the project's
    frame_step, on which a masklet of the task has a non-empty mask), ``masklet_count``,
    ``submitted_count`` (under review) and ``accepted_count``."""
    # Imported here: masklets' models import this app's (a task has masklets).
    from backend.masklets.enums import MaskletStatus
    from backend.masklets.models import MaskletFrame

    annotated = (
        MaskletFrame.objects.filter(
            masklet__task_id=OuterRef("pk"),
            area__gt=0,
            frame_index__gte=OuterRef("frame_start"),
            frame_index__lt=OuterRef("range_end"),
        )
        .annotate(
            off_step=Mod(
                "frame_index", OuterRef("project__frame_step"), output_field=IntegerField()
            )
        )
        .filter(off_step=0)
        .values("masklet__task_id")
        .annotate(n=Count("frame_index", distinct=True))
        .values("n")
    )
    return (
        Task.objects.filter(project=project)
        .select_related("assignee", "project")
        .annotate(
            range_end=Coalesce("frame_end", "video__frame_count"),
            frames_annotated=Coalesce(Subquery(annotated, output_field=IntegerField()), Value(0)),
            masklet_count=Count("masklets"),
            submitted_count=Count("masklets", filter=Q(masklets__status=MaskletStatus.SUBMITTED)),
            accepted_count=Count("masklets", filter=Q(masklets__status=MaskletStatus.ACCEPTED)),
        )
        .order_by("id")
    )
