from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

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


LABEL_FIELDS = ("name", "color", "order", "hotkey")


def _check_label_unique(*, project_id: int, label_id: int | None, name: str, hotkey: int | None):
    others = Label.objects.filter(project_id=project_id).exclude(pk=label_id)
    if others.filter(name=name).exists():
        raise ConflictError(
            f"The project already has a label named {name!r}.", extra={"field": "name"}
        )
    if hotkey is not None:
        holder = others.filter(hotkey=hotkey).first()
        if holder is not None:
            raise ConflictError(
                f"Hotkey {hotkey} already picks the label {holder.name!r}; "
                f"choose another key or clear it there first.",
                extra={"field": "hotkey", "label": holder.pk},
            )


@transaction.atomic
def label_create(
    *,
    project: Project,
    actor: User,
    name: str,
    color: str,
    hotkey: int | None = None,
    order: int | None = None,
) -> Label:
    """A new label, last in the project's order unless ``order`` is given."""
    Project.objects.select_for_update().filter(pk=project.pk).first()  # serialise hotkey checks
    _check_label_unique(project_id=project.pk, label_id=None, name=name, hotkey=hotkey)
    if order is None:
        last = Label.objects.filter(project=project).aggregate(m=Max("order"))["m"]
        order = 0 if last is None else last + 1
    label = Label.objects.create(
        project=project, name=name, color=color, hotkey=hotkey, order=order
    )
    event_record(
        project_id=project.pk,
        kind=EventKind.LABEL_CREATED,
        actor_id=actor.pk,
        payload={"label": label.pk, "name": name},
    )
    return label


@transaction.atomic
def label_update(*, label: Label, actor: User, data: dict[str, Any]) -> Label:
    Project.objects.select_for_update().filter(pk=label.project_id).first()
    changed = {f: data[f] for f in LABEL_FIELDS if f in data}
    _check_label_unique(
        project_id=label.project_id,
        label_id=label.pk,
        name=changed.get("name", label.name),
        hotkey=changed.get("hotkey", label.hotkey),
    )
    for field, value in changed.items():
        setattr(label, field, value)
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError as exc:  # a concurrent write on another database connection
        raise ConflictError("Another label took this name or hotkey; reload.") from exc
    event_record(
        project_id=label.project_id,
        kind=EventKind.LABEL_UPDATED,
        actor_id=actor.pk,
        payload={"label": label.pk, **changed},
    )
    return label


@transaction.atomic
def label_reorder(*, project: Project, actor: User, label_ids: list[int]) -> list[Label]:
    """Puts the project's labels in the order of ``label_ids``, which must name each of them
    exactly once."""
    labels = {
        label.pk: label for label in Label.objects.select_for_update().filter(project=project)
    }
    if len(set(label_ids)) != len(label_ids) or set(label_ids) != set(labels):
        raise ApplicationError(
            "Name each of the project's labels exactly once, in the new order.",
            extra={"field": "label_ids", "labels": sorted(labels)},
        )
    for position, pk in enumerate(label_ids):
        labels[pk].order = position
    Label.objects.bulk_update(labels.values(), ["order"])
    event_record(
        project_id=project.pk,
        kind=EventKind.LABEL_REORDERED,
        actor_id=actor.pk,
        payload={"labels": label_ids},
    )
    return [labels[pk] for pk in label_ids]


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


def split_points(*, frame_start: int, frame_end: int, step: int, parts: int) -> list[int]:
    """Boundaries that cut [frame_start, frame_end) into ``parts`` ranges with as equal a
    number of annotation frames (multiples of ``step``) each as possible; every inner
    boundary is an annotation frame. Returns parts + 1 numbers, first frame_start, last
    frame_end."""
    first = -(-frame_start // step) * step
    annotation_frames = list(range(first, frame_end, step))
    if parts < 1 or len(annotation_frames) < parts:
        raise ApplicationError(
            f"Frames {frame_start}-{frame_end - 1} hold {len(annotation_frames)} frame(s) to "
            f"annotate (every {step}); they cannot be split among {parts} annotators.",
            extra={"field": "assignees"},
        )
    n = len(annotation_frames)
    inner = [annotation_frames[i * n // parts] for i in range(1, parts)]
    return [frame_start, *inner, frame_end]


@transaction.atomic
def task_split(
    *,
    project: Project,
    actor: User,
    video: Video,
    assignees: list[User | None],
    frame_start: int = 0,
    frame_end: int | None = None,
) -> list[Task]:
    """One task per assignee over consecutive parts of the frame range (the whole video by
    default), each with an equal share of the frames to annotate (project.frame_step)."""
    named = [user.pk for user in assignees if user is not None]
    if len(set(named)) != len(named):
        raise ApplicationError(
            "Each annotator may be given only one part.", extra={"field": "assignees"}
        )
    end = video.frame_count if frame_end is None else frame_end
    _validate_task(
        project=project, video=video, assignee=None, frame_start=frame_start, frame_end=end
    )
    bounds = split_points(
        frame_start=frame_start, frame_end=end, step=project.frame_step, parts=len(assignees)
    )
    return [
        task_create(
            project=project,
            actor=actor,
            video=video,
            assignee=assignee,
            frame_start=bounds[i],
            frame_end=bounds[i + 1],
        )
        for i, assignee in enumerate(assignees)
    ]


@transaction.atomic
def task_assign_bulk(
    *, project: Project, actor: User, task_ids: list[int], assignee: User | None
) -> list[Task]:
    """Gives every listed task of the project to ``assignee`` (None: unassigned)."""
    tasks = {
        task.pk: task
        for task in Task.objects.select_for_update()
        .select_related("project", "video")
        .filter(project=project, pk__in=task_ids)
    }
    missing = sorted(set(task_ids) - set(tasks))
    if missing:
        raise ApplicationError(
            "These tasks are not tasks of this project.", extra={"tasks": missing}
        )
    return [
        task_update(task=tasks[pk], actor=actor, data={"assignee": assignee})
        for pk in dict.fromkeys(task_ids)
    ]


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
