"""Interactive SAM 2 sessions of this worker process, one per video, in a small LRU.

Prompts are the truth: a session remembers which stored prompts it has applied, in order.
If that is not exactly the video's prompt history before the new one (another worker served
the video meanwhile, a masklet was deleted, this process restarted), the session is rebuilt
by replaying the history, so the answer is the one an uninterrupted session would give.
"""

from collections import OrderedDict
from dataclasses import dataclass, field

from django.conf import settings

from backend.masklets.models import Prompt
from backend.videos.models import Video
from worker.adapters import StorageFrames, apply_prompt
from worker.engine import get_predictor

# Open sessions per worker; each holds a few frames' features (tens of MB on hiera-l).
MAX_SESSIONS = getattr(settings, "SAM2_MAX_SESSIONS", 4)


@dataclass
class BoundSession:
    session: object
    applied: list[int] = field(default_factory=list)  # prompt ids, in application order


_sessions: "OrderedDict[int, BoundSession]" = OrderedDict()


def open_sessions() -> int:
    return len(_sessions)


def session_for_prompt(video: Video, prompt: Prompt) -> tuple[BoundSession, bool]:
    """The video's session with every earlier prompt applied; True when it was rebuilt."""
    earlier = Prompt.objects.filter(masklet__video=video, pk__lt=prompt.pk).order_by("pk")
    history_ids = list(earlier.values_list("pk", flat=True))
    bound = _sessions.get(video.pk)
    rebuilt = bound is None or bound.applied != history_ids
    if rebuilt:
        if bound is not None:
            bound.session.close()
        bound = BoundSession(get_predictor().start_session(StorageFrames(video)))
        for stored in earlier.select_related("masklet"):
            apply_prompt(bound.session, stored, video)
            bound.applied.append(stored.pk)
    _sessions[video.pk] = bound
    _sessions.move_to_end(video.pk)
    while len(_sessions) > MAX_SESSIONS:
        _video_id, evicted = _sessions.popitem(last=False)
        evicted.session.close()
    return bound, rebuilt


def drop_all() -> None:
    while _sessions:
        _sessions.popitem()[1].session.close()
