"""Everything the annotation workspace shows of a video, read in a constant number of queries.

Opening a workspace used to cost two requests per masklet (its frames, its prompts); with
tens of masklets and a team opening at once that did not finish within a minute. The bundle
answers one request with the video's masklets, their masks over a frame range, every prompt,
the frames reviewers pinned comments to and the event cursor to listen from (propagation
jobs stay one request of their own, as do the project's labels and tasks). Masks are bounded
per answer: a long, densely annotated video comes in frame ranges (`next_start`), the first
of which starts where the annotator is looking.
"""

from dataclasses import dataclass
from itertools import accumulate

from django.db.models import Count, QuerySet

from backend.accounts.models import User
from backend.events.models import Event
from backend.masklets.models import Masklet, MaskletFrame, Prompt
from backend.masklets.selectors import masklet_list
from backend.reviews.models import ReviewComment
from backend.videos.models import Video

# Masks per answer: ~1-2 KB of RLE each at 1080p, so a few MB of JSON at most (less gzipped).
MAX_MASKS_PER_BUNDLE = 3000


@dataclass(frozen=True)
class WorkspaceBundle:
    cursor: (
        int  # log position (seq) of the video's newest event when the read began: listen after it
    )
    masklets: list[Masklet]
    frame_start: int
    frame_end: int  # exclusive: masks of frames [frame_start, frame_end) are all here
    next_start: int | None  # where the next range begins, None when the video's end is reached
    masks: QuerySet[MaskletFrame]
    prompts: QuerySet[Prompt]
    pins: QuerySet[ReviewComment]


def _range_end(frames: QuerySet[MaskletFrame], start: int, end: int, limit: int) -> int:
    """The end of the longest range [start, e) with at most `limit` masks (one frame at least)."""
    per_frame = list(
        frames.filter(frame_index__gte=start, frame_index__lt=end)
        .values_list("frame_index")
        .annotate(n=Count("id"))
        .order_by("frame_index")
    )
    totals = list(accumulate(n for _index, n in per_frame))
    for (index, _n), total in zip(per_frame, totals, strict=True):
        if total > limit:
            return max(index, start + 1)
    return end


def workspace_bundle_get(
    *,
    video: Video,
    user: User,
    start: int = 0,
    end: int | None = None,
    limit: int | None = None,
) -> WorkspaceBundle:
    """The workspace's data for a video the user may read (video from video_get_for_user).

    Masks cover [start, frame_end): all of [start, end) unless that holds more than `limit`
    masks. The cursor is read first, so a change committed while the rest is read is also
    delivered by the event stream after it (applying it twice is harmless).
    """
    last = video.frame_count
    end = last if end is None else min(end, last)
    limit = MAX_MASKS_PER_BUNDLE if limit is None else limit
    # Positions are given in commit order (events.services): whatever commits after this
    # read gets a later one, so the stream from here misses nothing the answer lacks.
    cursor = (
        Event.objects.filter(video=video, seq__isnull=False)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    ) or 0
    masklets = list(masklet_list(video=video, user=user))
    frames = MaskletFrame.objects.filter(masklet__in=[m.pk for m in masklets])
    frame_end = _range_end(frames, start, end, limit) if start < end else start
    if frame_end < end:
        next_start: int | None = frame_end
    elif end < last:
        next_start = end
    else:
        next_start = None
    return WorkspaceBundle(
        cursor=cursor,
        masklets=masklets,
        frame_start=start,
        frame_end=frame_end,
        next_start=next_start,
        masks=frames.filter(frame_index__gte=start, frame_index__lt=frame_end).order_by(
            "masklet_id", "frame_index"
        ),
        prompts=Prompt.objects.filter(masklet__in=masklets).order_by("masklet_id", "order"),
        pins=ReviewComment.objects.filter(masklet__in=masklets).order_by("masklet_id", "id"),
    )
