from typing import Any

from django.db import IntegrityError, transaction

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError, ConflictError
from backend.events.kinds import EventKind
from backend.events.services import event_record
from backend.projects.enums import Role
from backend.projects.models import Label, Membership, Project, Task
from backend.videos.models import Video

PROJECT_FIELDS = (
    "name",
    "description",
    "guidelines",
    "frame_step",
    "verifications_required",
    "consensus_k",
)


@transaction.atomic
def project_create(*, creator: User, name: str, description: str = "", **settings: Any) -> Project:
    """The creator becomes the project's first manager."""
    project = Project.objects.create(name=name, description=description, **settings)
    Membership.objects.create(project=project, user=creator, role=Role.MANAGER)
    event_record(
        project_id=project.pk,
        kind=EventKind.PROJECT_CREATED,
        actor_id=creator.pk,
        payload={"name": name},
    )
    return project


@transaction.atomic
def project_update(*, project: Project, actor: User, data: dict[str, Any]) -> Project:
    changed = [f for f in PROJECT_FIELDS if f in data and getattr(project, f) != data[f]]
    for field in changed:
        setattr(project, field, data[field])
    if changed:
        project.save(update_fields=[*changed, "updated_at"])
        event_record(
            project_id=project.pk,
            kind=EventKind.PROJECT_UPDATED,
            actor_id=actor.pk,
            payload={f: data[f] for f in changed},
        )
    return project


@transaction.atomic
def membership_add(*, project: Project, actor: User, username: str, role: str) -> Membership:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ApplicationError(f"There is no user named {username!r}.", status=400)
    if Membership.objects.filter(project=project, user=user).exists():
        raise ConflictError(f"{username} is already a member of this project.")
    membership = Membership.objects.create(project=project, user=user, role=role)
    event_record(
        project_id=project.pk,
        kind=EventKind.MEMBERSHIP_ADDED,
        actor_id=actor.pk,
        payload={"user": user.pk, "role": role},
    )
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, actor: User, role: str) -> Membership:
    if membership.role == Role.MANAGER and role != Role.MANAGER:
        _ensure_another_manager(membership)
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    event_record(
        project_id=membership.project_id,
        kind=EventKind.MEMBERSHIP_UPDATED,
        actor_id=actor.pk,
        payload={"user": membership.user_id, "role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    if membership.role == Role.MANAGER:
        _ensure_another_manager(membership)
    event_record(
        project_id=membership.project_id,
        kind=EventKind.MEMBERSHIP_REMOVED,
        actor_id=actor.pk,
        payload={"user": membership.user_id},
    )
    membership.delete()


def _ensure_another_manager(membership: Membership) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(project_id=membership.project_id, role=Role.MANAGER)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise ApplicationError("A project needs at least one manager.", status=400)


@transaction.atomic
def label_create(*, project: Project, actor: User, name: str, color: str) -> Label:
    if Label.objects.filter(project=project, name=name).exists():
        raise ConflictError(f"The project already has a label named {name!r}.")
    label = Label.objects.create(project=project, name=name, color=color)
    event_record(
        project_id=project.pk,
        kind=EventKind.LABEL_CREATED,
        actor_id=actor.pk,
        payload={"label": label.pk, "name": name},
    )
    return label


@transaction.atomic
def label_update(*, label: Label, actor: User, data: dict[str, Any]) -> Label:
    for field in ("name", "color"):
        if field in data:
            setattr(label, field, data[field])
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError as exc:
        raise ConflictError(f"The project already has a label named {label.name!r}.") from exc
    event_record(
        project_id=label.project_id,
        kind=EventKind.LABEL_UPDATED,
        actor_id=actor.pk,
        payload={"label": label.pk, **{k: data[k] for k in ("name", "color") if k in data}},
    )
    return label


@transaction.atomic
def label_delete(*, label: Label, actor: User) -> None:
    event_record(
        project_id=label.project_id,
        kind=EventKind.LABEL_DELETED,
        actor_id=actor.pk,
        payload={"label": label.pk},
    )
    label.delete()


def _validate_task(
    *,
    project: Project,
    video: Video,
    assignee: User | None,
    frame_start: int,
    frame_end: int | None,
) -> None:
    if video.project_id != project.pk:
        raise ApplicationError("The video belongs to another project.", status=400)
    if (
        assignee is not None
        and not Membership.objects.filter(
            project=project, user=assignee, role__in=(Role.ANNOTATOR, Role.MANAGER)
        ).exists()
    ):
        raise ApplicationError(
            f"{assignee.username} is not an annotator of this project.", status=400
        )
    end = video.frame_count if frame_end is None else frame_end
    if not 0 <= frame_start < end <= video.frame_count:
        raise ApplicationError(
            f"Frame range [{frame_start}, {end}) is outside the video's "
            f"{video.frame_count} frames.",
            status=400,
        )


@transaction.atomic
def task_create(
    *,
    project: Project,
    actor: User,
    video: Video,
    assignee: User | None = None,
    frame_start: int = 0,
    frame_end: int | None = None,
) -> Task:
    _validate_task(
        project=project,
        video=video,
        assignee=assignee,
        frame_start=frame_start,
        frame_end=frame_end,
    )
    task = Task.objects.create(
        project=project,
        video=video,
        assignee=assignee,
        frame_start=frame_start,
        frame_end=frame_end,
    )
    event_record(
        project_id=project.pk,
        video_id=video.pk,
        kind=EventKind.TASK_CREATED,
        actor_id=actor.pk,
        payload={"task": task.pk, "assignee": assignee.pk if assignee else None},
    )
    return task


@transaction.atomic
def task_update(*, task: Task, actor: User, data: dict[str, Any]) -> Task:
    assignee = data.get("assignee", task.assignee)
    frame_start = data.get("frame_start", task.frame_start)
    frame_end = data.get("frame_end", task.frame_end)
    _validate_task(
        project=task.project,
        video=task.video,
        assignee=assignee,
        frame_start=frame_start,
        frame_end=frame_end,
    )
    task.assignee = assignee
    task.frame_start, task.frame_end = frame_start, frame_end
    task.stage = data.get("stage", task.stage)
    task.save()
    event_record(
        project_id=task.project_id,
        video_id=task.video_id,
        kind=EventKind.TASK_UPDATED,
        actor_id=actor.pk,
        payload={"task": task.pk, "assignee": task.assignee_id, "stage": task.stage},
    )
    return task


@transaction.atomic
def task_delete(*, task: Task, actor: User) -> None:
    event_record(
        project_id=task.project_id,
        video_id=task.video_id,
        kind=EventKind.TASK_DELETED,
        actor_id=actor.pk,
        payload={"task": task.pk},
    )
    task.delete()
