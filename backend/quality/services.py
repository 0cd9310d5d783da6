from django.db import transaction
from django.db.models import Count, Q

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError
from backend.events.kinds import EventKind
from backend.events.services import event_record
from backend.masklets.models import Masklet
from backend.projects.enums import Role, TaskStage
from backend.projects.models import Membership, Project, Task
from backend.projects.services import task_create
from backend.quality.models import ACTIVITY_MAX_SECONDS, ActivityRecord
from backend.reviews.services import masklet_withdraw_discarded
from backend.videos.models import Video


@transaction.atomic
def consensus_assign(
    *, project: Project, actor: User, video: Video, annotators: list[int] | None = None
) -> list[Task]:
    """Give the video to project.consensus_k annotators, one Task (whole video) each.

    With ``annotators`` (exactly k distinct annotator members) those; without, the video's
    current assignees topped up with the least-loaded annotators (fewest open tasks in the
    project, then lowest id). Annotators who already have a task on the video keep it. Returns
    the video's assigned tasks, one per assignee, in task order."""
    k = project.consensus_k
    if k < 2:
        raise ApplicationError(
            "Consensus mode is off for this project (consensus_k is 1); set consensus_k to 2 "
            "or more first.",
            extra={"consensus_k": k},
        )
    if video.project_id != project.pk:
        raise ApplicationError("The video belongs to another project.", status=404)
    existing: dict[int, int] = {}  # assignee -> their first task on the video
    for task_id, user_id in (
        Task.objects.select_for_update()
        .filter(video=video, assignee__isnull=False)
        .order_by("id")
        .values_list("id", "assignee_id")
    ):
        existing.setdefault(user_id, task_id)
    members = set(
        Membership.objects.filter(project=project, role=Role.ANNOTATOR).values_list(
            "user_id", flat=True
        )
    )
    if annotators is not None:
        chosen = _check_given(annotators=annotators, k=k, members=members)
    else:
        chosen = _least_loaded(project=project, k=k, members=members, keep=list(existing))
    outside = sorted(set(existing) - set(chosen))
    if outside:
        raise ApplicationError(
            "The video is already assigned to annotators outside this choice; reassign or "
            "delete their tasks first.",
            extra={"assignees": outside},
        )
    users = {user.pk: user for user in User.objects.filter(pk__in=chosen)}
    created = []
    for user_id in chosen:
        if user_id not in existing:
            task = task_create(project=project, actor=actor, video=video, assignee=users[user_id])
            created.append(task.pk)
    event_record(
        project_id=project.pk,
        video_id=video.pk,
        kind=EventKind.CONSENSUS_ASSIGNED,
        actor_id=actor.pk,
        payload={"video": video.pk, "annotators": chosen, "tasks": created, "k": k},
    )
    tasks = Task.objects.filter(video=video, assignee__isnull=False).select_related("assignee")
    first: dict[int, Task] = {}
    for task in tasks.order_by("id"):
        first.setdefault(task.assignee_id, task)  # type: ignore[arg-type]
    return list(first.values())


def _check_given(*, annotators: list[int], k: int, members: set[int]) -> list[int]:
    if len(set(annotators)) != len(annotators):
        raise ApplicationError(
            "Each annotator may be given only once.", extra={"field": "annotators"}
        )
    if len(annotators) != k:
        raise ApplicationError(
            f"This project labels each video by {k} annotators; {len(annotators)} were given.",
            extra={"field": "annotators", "consensus_k": k},
        )
    strangers = [pk for pk in annotators if pk not in members]
    if strangers:
        raise ApplicationError(
            "Only annotators of this project can be given consensus tasks.",
            extra={"field": "annotators", "not_annotators": strangers},
        )
    return list(annotators)


def _least_loaded(*, project: Project, k: int, members: set[int], keep: list[int]) -> list[int]:
    chosen = [pk for pk in keep if pk in members][:k]
    load = (
        User.objects.filter(pk__in=members - set(chosen))
        .annotate(
            open_tasks=Count(
                "tasks",
                filter=Q(tasks__project=project) & ~Q(tasks__stage=TaskStage.DONE),
            )
        )
        .order_by("open_tasks", "id")
        .values_list("id", flat=True)
    )
    chosen += list(load[: k - len(chosen)])
    if len(chosen) < k:
        raise ApplicationError(
            f"Consensus needs {k} annotators; this project has {len(members)}.",
            extra={"consensus_k": k, "annotators": len(members)},
        )
    return chosen


@transaction.atomic
def consensus_resolve(
    *, video: Video, actor: User, chosen: int, discard: list[int]
) -> tuple[Masklet, list[int]]:
    """Keep ``chosen`` and mark ``discard`` consensus_discarded (exports skip them). The chosen
    masklet stops being discarded if an earlier resolution discarded it. Versions are not
    bumped: no mask changes. Records a "masklet.consensus" Event."""
    if chosen in discard:
        raise ApplicationError("The chosen masklet cannot also be discarded.")
    if not discard:
        raise ApplicationError("Name at least one masklet to discard.", extra={"field": "discard"})
    ids = [chosen, *discard]
    found = {m.pk: m for m in Masklet.objects.select_for_update().filter(video=video, pk__in=ids)}
    unknown = [pk for pk in ids if pk not in found]
    if unknown:
        raise ApplicationError(
            "These masklets are not masklets of this video.", extra={"masklets": unknown}
        )
    truth = [pk for pk in discard if found[pk].is_ground_truth]
    if truth:
        raise ApplicationError(
            "Ground-truth masklets cannot be discarded; unmark them as ground truth first.",
            extra={"masklets": truth},
        )
    Masklet.objects.filter(pk__in=discard).update(consensus_discarded=True)
    for pk in discard:
        masklet_withdraw_discarded(masklet=found[pk], actor=actor)
    Masklet.objects.filter(pk=chosen).update(consensus_discarded=False)
    event_record(
        project_id=video.project_id,
        video_id=video.pk,
        kind=EventKind.MASKLET_CONSENSUS,
        actor_id=actor.pk,
        payload={"chosen": chosen, "discarded": sorted(discard)},
    )
    found[chosen].refresh_from_db()
    return found[chosen], sorted(discard)


@transaction.atomic
def ground_truth_mark(*, video: Video, actor: User, masklets: list[int]) -> list[int]:
    """Exactly ``masklets`` of the video become its ground truth; the others stop being it.
    An empty list clears it. Records a "video.ground_truth" Event. Returns the ids."""
    wanted = set(masklets)
    found = set(Masklet.objects.filter(video=video, pk__in=wanted).values_list("id", flat=True))
    unknown = sorted(wanted - found)
    if unknown:
        raise ApplicationError(
            "These masklets are not masklets of this video.", extra={"masklets": unknown}
        )
    Masklet.objects.filter(video=video, is_ground_truth=True).exclude(pk__in=wanted).update(
        is_ground_truth=False
    )
    Masklet.objects.filter(pk__in=wanted).update(is_ground_truth=True)
    event_record(
        project_id=video.project_id,
        video_id=video.pk,
        kind=EventKind.VIDEO_GROUND_TRUTH,
        actor_id=actor.pk,
        payload={"video": video.pk, "masklets": sorted(wanted)},
    )
    return sorted(wanted)


@transaction.atomic
def activity_record(
    *, user: User, video: Video, seconds: int, frame_index: int | None = None
) -> ActivityRecord:
    """Store one batch of active annotating time reported by the user's workspace."""
    if not 1 <= seconds <= ACTIVITY_MAX_SECONDS:
        raise ApplicationError(
            f"seconds must be between 1 and {ACTIVITY_MAX_SECONDS}.", extra={"field": "seconds"}
        )
    if frame_index is not None and frame_index >= video.frame_count:
        raise ApplicationError(
            f"frame_index {frame_index} is outside the video's {video.frame_count} frames.",
            extra={"field": "frame_index"},
        )
    return ActivityRecord.objects.create(
        user=user,
        project_id=video.project_id,
        video=video,
        seconds=seconds,
        frame_index=frame_index,
    )
