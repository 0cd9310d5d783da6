"""Interactive SAM 2 sessions of this worker process, one per video, in a small LRU.

Prompts are the truth: a session remembers which stored prompts it has applied, in order.
If that is not exactly the prompt history a click request brings (another worker served
the video meanwhile, a prompt was undone, this process restarted), the session is rebuilt
by replaying that history, so the answer is the one an uninterrupted session would give.
Only the click thread uses these sessions, holding the engine (engine.in_use).
"""

from collections import OrderedDict
from dataclasses import dataclass, field

from django.conf import settings

from backend.common.exceptions import ConflictError
from backend.masklets.models import Prompt
from backend.videos.models import Video
from worker.adapters import StorageFrames, apply_prompt
from worker.engine import get_predictor

# Open sessions per worker; each holds a few frames' features (tens of MB on hiera-l).
MAX_SESSIONS = getattr(settings, "SAM2_MAX_SESSIONS", 4)


@dataclass
class BoundSession:
    video: Video
    session: object
    applied: list[int] = field(default_factory=list)  # prompt ids, in application order


_sessions: "OrderedDict[int, BoundSession]" = OrderedDict()


def open_sessions() -> int:
    return len(_sessions)


def session_for(video_id: int, history: list[int]) -> tuple[BoundSession, bool]:
    """The video's session with exactly the prompts ``history`` applied, in order; True when
    it was (re)built by replaying them."""
    bound = _sessions.pop(video_id, None)
    if bound is not None and bound.applied != history:
        bound.session.close()
        bound = None
    rebuilt = bound is None
    if bound is None:
        bound = _replayed(video_id, history)
    _sessions[video_id] = bound  # the most recently used, last
    while len(_sessions) > MAX_SESSIONS:
        _video_id, evicted = _sessions.popitem(last=False)
        evicted.session.close()
    return bound, rebuilt


def _replayed(video_id: int, history: list[int]) -> BoundSession:
    video = Video.objects.get(pk=video_id)
    wanted = set(history)
    stored = [
        prompt
        for prompt in Prompt.objects.filter(
            masklet__video_id=video_id, pk__lte=max(history, default=0)
        ).order_by("pk")
        if prompt.pk in wanted
    ]
    if len(stored) != len(history):
        raise ConflictError(
            "Prompts of this video were taken back while SAM 2 was answering; click again.",
            extra={"video": video_id},
        )
    bound = BoundSession(video, get_predictor().start_session(StorageFrames(video)))
    try:
        for prompt in stored:
            apply_prompt(bound.session, prompt, video)
            bound.applied.append(prompt.pk)
    except BaseException:
        bound.session.close()
        raise
    return bound


def drop_all() -> None:
    while _sessions:
        _sessions.popitem()[1].session.close()
