import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from backend.accounts.models import User
from backend.automask.selectors import automask_yield
from backend.common.exceptions import ApplicationError
from backend.events.kinds import EventKind
from backend.events.models import Event
from backend.masklets.enums import FrameOrigin, MaskletStatus
from backend.masklets.models import Masklet, MaskletFrame
from backend.projects.enums import Role
from backend.projects.models import Membership, Project, Task
from backend.quality import scores
from backend.quality.models import ActivityRecord
from backend.reviews.enums import Verdict
from backend.reviews.models import MaskletStatusChange, Review
from backend.videos.models import Video

# Frame origins that are an annotator's work (imported masks are not).
WORK_ORIGINS = (FrameOrigin.CLICK, FrameOrigin.EDITED, FrameOrigin.PROPAGATED)
# A click (or box) given, and one SAM 2 could not answer (its prompt was removed again).
CLICK_GIVEN, CLICK_FAILED = EventKind.PROMPT_ADDED, EventKind.PROMPT_FAILED
DASHBOARD_STATUSES = (
    MaskletStatus.DRAFT,
    MaskletStatus.SUBMITTED,
    MaskletStatus.ACCEPTED,
    MaskletStatus.REJECTED,
    MaskletStatus.REWORKED,
)
CSV_COLUMNS = (
    "user_id",
    "username",
    "masklets",
    "accepted",
    "rejected",
    "frames_annotated",
    "clicks",
    "clicks_per_masklet",
    "active_seconds",
    "seconds_per_frame",
    "rejection_rate",
    "agreement_jf",
    "ground_truth_jf",
)


def _user(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username}


def _users(ids: set[int]) -> dict[int, dict[str, Any]]:
    return {user.pk: _user(user) for user in User.objects.filter(pk__in=ids)}


# ---- consensus and ground truth ----------------------------------------------------------------


def consensus_get(*, video: Video) -> dict[str, Any]:
    """The consensus comparison of the video (see scores.consensus_scores), users as
    {id, username} and each group's ``resolved`` read from the masklets' current flags."""
    if video.project.consensus_k < 2:
        raise ApplicationError(
            "Consensus mode is off for this project (consensus_k is 1).",
            extra={"consensus_k": video.project.consensus_k},
        )
    data = scores.consensus_scores(video=video)
    users = _users({entry["user"] for entry in data["annotators"]})
    discarded = scores.discarded_ids(
        masklet_ids=[pk for group in data["groups"] for pk in group["masklets"]]
    )
    return {
        "k": video.project.consensus_k,
        "annotators": [
            {"user": users[e["user"]], "task": e["task"], "masklets": e["masklets"]}
            for e in data["annotators"]
        ],
        "pairs": [{**pair, "a": users[pair["a"]], "b": users[pair["b"]]} for pair in data["pairs"]],
        "groups": [
            {**group, "resolved": scores.group_resolved(group["masklets"], discarded)}
            for group in data["groups"]
        ],
    }


def ground_truth_scores_get(*, video: Video) -> list[dict[str, Any]]:
    """[{user: {id, username}, matched, missed, extra, j, f, jf}] per annotator."""
    data = scores.ground_truth_scores(video=video)
    users = _users({row["user"] for row in data})
    return [
        {
            "user": users[row["user"]],
            **{key: row[key] for key in ("matched", "missed", "extra", "j", "f", "jf")},
        }
        for row in data
        if row["user"] in users
    ]


# ---- dashboard ---------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _counts_by(queryset: QuerySet, field: str) -> dict[Any, int]:
    return dict(queryset.values_list(field).annotate(n=Count("id")).order_by())


def project_masklets(*, project: Project) -> QuerySet[Masklet]:
    """The project's masklets with ``annotator`` (the task's assignee, else the creator)."""
    return Masklet.objects.filter(video__project=project).annotate(
        annotator=Coalesce("task__assignee_id", "created_by_id")
    )


def _agreement(*, project: Project) -> dict[int, list[float]]:
    """user id -> J&F of each of their matched consensus pairs, over the project's videos that
    more than one annotator labelled (consensus projects only). Reads cached scores; computes
    the missing or stale ones, one video at a time."""
    if project.consensus_k < 2:
        return {}
    assignees: dict[int, set[int]] = defaultdict(set)
    for video_id, user_id in Task.objects.filter(
        project=project, assignee__isnull=False
    ).values_list("video_id", "assignee_id"):
        assignees[video_id].add(user_id)
    video_ids = [pk for pk, users in assignees.items() if len(users) > 1]
    rows = scores.masklet_rows(video_ids=video_ids)
    result: dict[int, list[float]] = defaultdict(list)
    for video in Video.objects.filter(pk__in=video_ids).order_by("id"):
        data = scores.consensus_scores(video=video, rows=rows.get(video.pk, []))
        for pair in data["pairs"]:
            for m in pair["matches"]:
                result[pair["a"]].append(m["jf"])
                result[pair["b"]].append(m["jf"])
    return result


def _ground_truth(*, project: Project) -> dict[int, float]:
    """user id -> J&F against ground truth over the project's ground-truth videos, each
    ground-truth masklet weighing the same (cached like _agreement)."""
    video_ids = list(
        Masklet.objects.filter(video__project=project, is_ground_truth=True)
        .values_list("video_id", flat=True)
        .distinct()
    )
    rows = scores.masklet_rows(video_ids=video_ids)
    total: dict[int, float] = defaultdict(float)
    weight: dict[int, int] = defaultdict(int)
    for video in Video.objects.filter(pk__in=video_ids).order_by("id"):
        for row in scores.ground_truth_scores(video=video, rows=rows.get(video.pk, [])):
            total[row["user"]] += row["jf"] * row["ground_truth"]
            weight[row["user"]] += row["ground_truth"]
    return {user: total[user] / weight[user] for user in weight if weight[user]}


def dashboard_get(
    *, project: Project, annotator_id: int | None = None, days: int = 30
) -> dict[str, Any]:
    """QA numbers of a project, or of one annotator's work in it with ``annotator_id``.

    All counts are all-time except ``throughput`` (one entry per day of the last ``days`` days,
    today included). A masklet's annotator is its task's assignee, else its creator.
    frames_annotated: non-empty masks (a masklet on a frame) with origin click, edited or
    propagated (an empty propagated mask is not work done); clicks: prompts (clicks and boxes)
    the user gave that SAM 2 answered, from the event log, so an undone click or one of a
    deleted masklet still counts; rejected: unsatisfactory verdicts on the annotator's
    masklets, rejection_rate: rejected / verdicts; agreement_jf: mean J&F of their matched
    consensus pairs; ground_truth_jf: J&F against ground truth. Ratios are null when there is
    nothing to divide by."""
    if (
        annotator_id is not None
        and not Membership.objects.filter(project=project, user_id=annotator_id).exists()
    ):
        raise ApplicationError(
            "That user is not a member of this project.", extra={"field": "annotator"}
        )
    masklets = project_masklets(project=project)
    if annotator_id is not None:
        masklets = masklets.filter(annotator=annotator_id)
    frames = MaskletFrame.objects.filter(
        masklet__in=masklets.values("id"), origin__in=WORK_ORIGINS, area__gt=0
    )
    reviews = Review.objects.filter(masklet__in=masklets.values("id"))
    prompt_events = Event.objects.filter(project=project, kind__in=(CLICK_GIVEN, CLICK_FAILED))
    activity = ActivityRecord.objects.filter(project=project)
    if annotator_id is not None:
        prompt_events = prompt_events.filter(actor_id=annotator_id)
        activity = activity.filter(user_id=annotator_id)
    clicks = _clicks_by_actor(prompt_events)

    by_status = _counts_by(masklets, "status")
    totals = {
        "masklets": sum(by_status.values()),
        "frames_annotated": frames.count(),
        "clicks": sum(clicks.values()),
        "active_seconds": activity.aggregate(s=Sum("seconds"))["s"] or 0,
        "reviews": reviews.count(),
        "unsatisfactory": reviews.filter(verdict=Verdict.UNSATISFACTORY).count(),
    }
    return {
        "status_counts": {status: by_status.get(status, 0) for status in DASHBOARD_STATUSES},
        "totals": totals,
        "annotators": _annotator_rows(
            project=project,
            annotator_id=annotator_id,
            masklets=masklets,
            frames=frames,
            reviews=reviews,
            clicks=clicks,
            activity=activity,
        ),
        "throughput": _throughput(masklets=masklets, frames=frames, days=days),
        "automatic": automask_yield(project=project),
    }


def _annotator_rows(
    *,
    project: Project,
    annotator_id: int | None,
    masklets: QuerySet[Masklet],
    frames: QuerySet[MaskletFrame],
    reviews: QuerySet[Review],
    clicks: dict[int | None, int],
    activity: QuerySet[ActivityRecord],
) -> list[dict[str, Any]]:
    """One row per annotator member, and per anyone else whose masklets are in the project
    (ground-truth masklets aside); only ``annotator_id``'s row when given."""
    per_user = {
        user: (n, a)
        for user, n, a in masklets.values_list("annotator")
        .annotate(
            n=Count("id"),
            accepted=Count("id", filter=Q(status=MaskletStatus.ACCEPTED)),
        )
        .order_by()
    }
    frame_counts = dict(
        frames.annotate(annotator=Coalesce("masklet__task__assignee_id", "masklet__created_by_id"))
        .values_list("annotator")
        .annotate(n=Count("id"))
        .order_by()
    )
    seconds = dict(activity.values_list("user_id").annotate(s=Sum("seconds")).order_by())
    review_rows = (
        reviews.annotate(annotator=Coalesce("masklet__task__assignee_id", "masklet__created_by_id"))
        .values_list("annotator")
        .annotate(n=Count("id"), bad=Count("id", filter=Q(verdict=Verdict.UNSATISFACTORY)))
        .order_by()
    )
    verdicts = {user: (n, bad) for user, n, bad in review_rows}
    agreement = _agreement(project=project)
    truth = _ground_truth(project=project)

    if annotator_id is not None:
        user_ids = {annotator_id}
    else:
        user_ids = set(
            Membership.objects.filter(project=project, role=Role.ANNOTATOR).values_list(
                "user_id", flat=True
            )
        ) | set(
            masklets.filter(is_ground_truth=False, annotator__isnull=False).values_list(
                "annotator", flat=True
            )
        )
    rows = []
    for user in User.objects.filter(pk__in=user_ids).order_by("username", "id"):
        n_masklets, n_accepted = per_user.get(user.pk, (0, 0))
        n_frames = frame_counts.get(user.pk, 0)
        n_clicks = clicks.get(user.pk, 0)
        n_seconds = seconds.get(user.pk, 0) or 0
        n_verdicts, n_bad = verdicts.get(user.pk, (0, 0))
        rows.append(
            {
                "user": _user(user),
                "masklets": n_masklets,
                "accepted": n_accepted,
                "rejected": n_bad,
                "frames_annotated": n_frames,
                "clicks": n_clicks,
                "clicks_per_masklet": _ratio(n_clicks, n_masklets),
                "active_seconds": n_seconds,
                "seconds_per_frame": _ratio(n_seconds, n_frames),
                "rejection_rate": _ratio(n_bad, n_verdicts),
                "agreement_jf": (
                    sum(agreement[user.pk]) / len(agreement[user.pk])
                    if agreement.get(user.pk)
                    else None
                ),
                "ground_truth_jf": truth.get(user.pk),
            }
        )
    return rows


def _clicks_by_actor(prompt_events: QuerySet[Event]) -> dict[int | None, int]:
    """actor id -> clicks given and answered (added minus failed)."""
    rows = (
        prompt_events.values_list("actor_id")
        .annotate(
            given=Count("id", filter=Q(kind=CLICK_GIVEN)),
            failed=Count("id", filter=Q(kind=CLICK_FAILED)),
        )
        .order_by()
    )
    return {actor: given - failed for actor, given, failed in rows}


def _throughput(
    *, masklets: QuerySet[Masklet], frames: QuerySet[MaskletFrame], days: int
) -> list[dict[str, Any]]:
    """Per day (server time zone) of the last ``days``: work frames created, submissions
    (first or again) and acceptances, from the masklets' status history."""
    today = timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))

    def per_day(queryset: QuerySet) -> dict[datetime.date, int]:
        return dict(
            queryset.filter(created_at__gte=start)
            .annotate(day=TruncDate("created_at"))
            .values_list("day")
            .annotate(n=Count("id"))
            .order_by()
        )

    changes = MaskletStatusChange.objects.filter(masklet__in=masklets.values("id"))
    made = per_day(frames)
    submitted = per_day(changes.filter(to_status=MaskletStatus.SUBMITTED))
    accepted = per_day(changes.filter(to_status=MaskletStatus.ACCEPTED))
    result = []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        result.append(
            {
                "date": day.isoformat(),
                "frames_annotated": made.get(day, 0),
                "submitted": submitted.get(day, 0),
                "accepted": accepted.get(day, 0),
            }
        )
    return result
