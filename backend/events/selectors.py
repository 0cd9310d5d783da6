from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from backend.accounts.models import User
from backend.events.kinds import EventKind
from backend.events.models import Event
from backend.masklets.models import Masklet, PropagationJob
from backend.masklets.selectors import masklet_own_q, masklet_sees_only_own
from backend.projects.models import Membership, Project

# Event kinds whose payload names one masklet as "masklet".
MASKLET_KINDS = frozenset(
    {
        EventKind.MASKLET_CREATED,
        EventKind.MASKLET_UPDATED,
        EventKind.MASKLET_DELETED,
        EventKind.MASKLET_FRAMES_WRITTEN,
        EventKind.MASKLET_STATUS,
        EventKind.MASKLET_REVIEW,
        EventKind.MASKLET_COMMENT,
        EventKind.PROMPT_ADDED,
        EventKind.PROMPT_DELETED,
        EventKind.PROMPT_FAILED,
    }
)
# Event kinds whose payload lists masklets under these keys (cut to the reader's own).
MASKLET_LIST_KINDS = {
    EventKind.MASKLETS_IMPORTED: ("masklets",),
    EventKind.VIDEO_GROUND_TRUTH: ("masklets",),
    EventKind.MASKLET_CONSENSUS: ("chosen", "discarded"),
}
# Kinds of propagation jobs (payload "job"; "frames" and "versions" keyed by masklet id).
PROPAGATION_KINDS = frozenset(kind for kind in EventKind if kind.startswith("propagation."))
# Kinds of auto-annotation jobs: a manager's, about masklets that are nobody's; an annotator
# working blind sees none of them.
AUTOMASK_KINDS = frozenset(kind for kind in EventKind if kind.startswith("automask."))


def event_list(
    *, project: Project, after: int = 0, video_id: int | None = None, kind: str | None = None
) -> QuerySet[Event]:
    """Events at positions after `after`, in log order: a client resumes from the last
    position (`seq`) it saw. Events whose transaction has not been sequenced yet are not
    in the log yet."""
    events = Event.objects.filter(project=project, seq__gt=after)
    if video_id is not None:
        events = events.filter(video_id=video_id)
    if kind:
        events = events.filter(kind=kind)
    return events.order_by("seq")


@dataclass(frozen=True)
class EventVisibility:
    """What of a project's event log a member may see. In consensus mode an annotator works
    blind: events about other annotators' masklets (and propagation jobs) are left out, and
    lists of masklets in the others are cut down to theirs. Everyone else sees everything."""

    user_id: int
    # None: sees every masklet. Otherwise the masklets (and jobs) that are the user's own.
    own_masklets: frozenset[int] | None = None
    own_jobs: frozenset[int] = frozenset()

    def filter(self, events: QuerySet[Event]) -> QuerySet[Event]:
        if self.own_masklets is None:
            return events
        others_masklet = Q(kind__in=MASKLET_KINDS) & ~Q(payload__masklet__in=self.own_masklets)
        # A deleted masklet is no longer in the database: its event says whose it was.
        own_deleted = Q(kind="masklet.deleted", payload__annotator=self.user_id)
        others_job = Q(kind__in=PROPAGATION_KINDS) & ~Q(payload__job__in=self.own_jobs)
        automask = Q(kind__in=AUTOMASK_KINDS)
        return events.exclude((others_masklet & ~own_deleted) | others_job | automask)

    def redact(self, event: Event) -> Event:
        """The event with other annotators' masklets taken out of its payload (not saved)."""
        if self.own_masklets is None:
            return event
        own = self.own_masklets
        payload: dict[str, Any] = dict(event.payload)
        for key in MASKLET_LIST_KINDS.get(event.kind, ()):
            value = payload.get(key)
            if isinstance(value, list):
                payload[key] = [pk for pk in value if pk in own]
            else:
                payload[key] = value if value in own else None
        if event.kind in PROPAGATION_KINDS:
            for key in ("frames", "versions"):
                if key in payload:
                    payload[key] = {k: v for k, v in payload[key].items() if int(k) in own}
            if "stops" in payload:
                payload["stops"] = [
                    {**stop, "objects": {k: v for k, v in stop["objects"].items() if int(k) in own}}
                    for stop in payload["stops"]
                ]
        event.payload = payload
        return event


def event_visibility_get(
    *, project: Project, user: User, role: str | None = None
) -> EventVisibility:
    """Caller checked that the user is a member of the project; ``role``: their role in it,
    when the caller has just read it (else it is read here)."""
    if role is None:
        role = (
            Membership.objects.filter(project=project, user_id=user.pk)
            .values_list("role", flat=True)
            .first()
        )
    if not masklet_sees_only_own(role=role or "", project=project):
        return EventVisibility(user_id=user.pk)
    own = frozenset(
        Masklet.objects.filter(video__project=project)
        .filter(masklet_own_q(user=user))
        .values_list("pk", flat=True)
    )
    jobs = frozenset(
        PropagationJob.objects.filter(project=project)
        .filter(Q(propagation_masklets__masklet_id__in=own) | Q(created_by_id=user.pk))
        .values_list("pk", flat=True)
        .distinct()
    )
    return EventVisibility(user_id=user.pk, own_masklets=own, own_jobs=jobs)


def event_list_for_user(
    *,
    project: Project,
    user: User,
    after: int = 0,
    video_id: int | None = None,
    kind: str | None = None,
    role: str | None = None,
) -> tuple[QuerySet[Event], EventVisibility]:
    """The events the user may see (event_list's order), and the visibility to redact their
    payloads with (EventVisibility.redact) before they go out. ``role`` as for
    event_visibility_get."""
    visibility = event_visibility_get(project=project, user=user, role=role)
    events = event_list(project=project, after=after, video_id=video_id, kind=kind)
    return visibility.filter(events), visibility
