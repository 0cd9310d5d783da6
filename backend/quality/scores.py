"""Consensus agreement and ground-truth scores of a video, computed on request and cached.

Both decode every mask of the video's masklets, so they run one video at a time, streaming the
video's frames in order (only one frame's masks are decoded at once), and keep the result in a
VideoScoreCache row keyed by a digest of the masklets (id, version, task, annotator, label,
ground-truth flag): any mask change bumps a version and the next request recomputes.

Matching (both): Hungarian assignment (scipy.optimize.linear_sum_assignment) with cost
1 - mean IoU over the union of the two masklets' frames; only masklets of the same label (or
both without one) are paired, and pairs whose mean IoU is 0 are left unmatched. J and F of a
pair are means over that same union of frames (see metrics.masklet_scores for the rule); J&F
is their mean.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from scipy.optimize import linear_sum_assignment

from backend.common import rle as rle_codec
from backend.masklets.models import Masklet, MaskletFrame
from backend.quality import metrics
from backend.quality.enums import ScoreKind
from backend.quality.models import VideoScoreCache
from backend.videos.models import Video

# Mask rows fetched per database round trip while streaming a video's frames.
FRAME_ROW_CHUNK = 500
# Bump when the cached data's shape or meaning changes, so old rows are recomputed.
CACHE_FORMAT = 2


@dataclass(frozen=True)
class MaskletRow:
    id: int
    version: int
    task_id: int | None
    annotator_id: int | None
    is_ground_truth: bool
    label_id: int | None


def masklet_rows(*, video_ids: Iterable[int]) -> dict[int, list[MaskletRow]]:
    """video id -> its masklets (annotator = the task's assignee, else the creator)."""
    rows: dict[int, list[MaskletRow]] = defaultdict(list)
    queryset = (
        Masklet.objects.filter(video_id__in=list(video_ids))
        .annotate(annotator=Coalesce("task__assignee_id", "created_by_id"))
        .order_by("video_id", "id")
        .values_list(
            "video_id", "id", "version", "task_id", "annotator", "is_ground_truth", "label_id"
        )
    )
    for video_id, pk, version, task_id, annotator, is_gt, label_id in queryset:
        rows[video_id].append(MaskletRow(pk, version, task_id, annotator, is_gt, label_id))
    return rows


def _digest(kind: str, masklets: list[MaskletRow], extra: Any = None) -> str:
    payload = [
        CACHE_FORMAT,
        kind,
        [
            [m.id, m.version, m.task_id, m.annotator_id, m.is_ground_truth, m.label_id]
            for m in masklets
        ],
        extra,
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


@dataclass
class PairMeans:
    """Mean J and F over the union of frames, for every pair of the given masklets."""

    ids: list[int]
    j: np.ndarray  # [N, N]
    f: np.ndarray  # [N, N]
    # Each masklet's label id (None: no label), in the order of ``ids``.
    labels: list[int | None]

    def index(self, masklet_id: int) -> int:
        return self.ids.index(masklet_id)


def _frames(video: Video, ids: list[int]) -> Iterator[tuple[int, dict[int, Any]]]:
    """(frame_index, {masklet id: rle}) in frame order, one frame at a time."""
    rows = (
        MaskletFrame.objects.filter(masklet_id__in=ids)
        .order_by("frame_index", "masklet_id")
        .values_list("frame_index", "masklet_id", "rle")
        .iterator(chunk_size=FRAME_ROW_CHUNK)
    )
    current: int | None = None
    masks: dict[int, Any] = {}
    for frame_index, masklet_id, rle in rows:
        if frame_index != current:
            if current is not None:
                yield current, masks
            current, masks = frame_index, {}
        masks[masklet_id] = rle
    if current is not None:
        yield current, masks


def pair_means(*, video: Video, ids: list[int], labels: dict[int, int | None]) -> PairMeans:
    """Mean J and F of every pair of the masklets over the union of their frames; ``labels``
    maps each masklet id to its label id, for matching."""
    n = len(ids)
    j_sum, f_sum, count = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    position = {pk: i for i, pk in enumerate(ids)}
    shape = (video.height, video.width)
    everyone = np.arange(n)
    for _, rles in _frames(video, ids):
        masks: list[np.ndarray | None] = [None] * n
        for masklet_id, rle in rles.items():
            mask = rle_codec.decode(rle)
            masks[position[masklet_id]] = mask
            shape = mask.shape[:2]
        features = metrics.frame_masks(masks, shape)
        j, f = metrics.pairwise_frame_scores(features, everyone, everyone)
        counted = features.present[:, None] | features.present[None, :]
        j_sum += np.where(counted, j, 0)
        f_sum += np.where(counted, f, 0)
        count += counted
    # Two masklets without any frame compare as identical (J = F = 1), as in masklet_scores.
    safe = np.maximum(count, 1)
    return PairMeans(
        ids=list(ids),
        j=np.where(count == 0, 1.0, j_sum / safe),
        f=np.where(count == 0, 1.0, f_sum / safe),
        labels=[labels[pk] for pk in ids],
    )


@dataclass(frozen=True)
class Match:
    a: int
    b: int
    j: float
    f: float

    @property
    def jf(self) -> float:
        return (self.j + self.f) / 2

    def as_dict(self) -> dict[str, Any]:
        return {"masklet_a": self.a, "masklet_b": self.b, "j": self.j, "f": self.f, "jf": self.jf}


def match(means: PairMeans, side_a: list[int], side_b: list[int]) -> list[Match]:
    """Hungarian matching of two sets of masklets on mean IoU, within a label: masklets of
    different labels never pair, and mean IoU 0 stays unmatched."""
    if not side_a or not side_b:
        return []
    rows = [means.index(pk) for pk in side_a]
    cols = [means.index(pk) for pk in side_b]
    same_label = np.array(
        [[means.labels[r] == means.labels[c] for c in cols] for r in rows], dtype=bool
    )
    iou = np.where(same_label, means.j[np.ix_(rows, cols)], 0.0)
    row_ind, col_ind = linear_sum_assignment(1.0 - iou)
    matches = []
    for r, c in zip(row_ind, col_ind, strict=True):
        if iou[r, c] <= 0:
            continue
        matches.append(
            Match(
                a=side_a[r],
                b=side_b[c],
                j=float(means.j[rows[r], cols[c]]),
                f=float(means.f[rows[r], cols[c]]),
            )
        )
    return sorted(matches, key=lambda m: m.a)


def _cached(video: Video, kind: str, key: str) -> Any | None:
    row = VideoScoreCache.objects.filter(video=video, kind=kind).first()
    return row.data if row is not None and row.key == key else None


def _store(video: Video, kind: str, key: str, data: Any) -> None:
    try:
        with transaction.atomic():
            VideoScoreCache.objects.update_or_create(
                video=video, kind=kind, defaults={"key": key, "data": data}
            )
    except IntegrityError:
        # A concurrent request stored the same video's scores first; theirs will do.
        pass


# ---- consensus ---------------------------------------------------------------------------------


def consensus_annotators(*, video: Video, rows: list[MaskletRow]) -> list[dict[str, Any]]:
    """[{user: id, task: first task id, masklets: [ids]}] per assignee of the video's tasks, in
    task order; masklets = the masklets of that assignee's tasks (one marked ground truth
    still counts: it is that annotator's work, and agreement is measured on it too)."""
    tasks = video.tasks.filter(assignee__isnull=False).order_by("id").values_list("id", "assignee")
    by_user: dict[int, dict[str, Any]] = {}
    task_owner: dict[int, int] = {}
    for task_id, user_id in tasks:
        task_owner[task_id] = user_id
        by_user.setdefault(user_id, {"user": user_id, "task": task_id, "masklets": []})
    for row in rows:
        if row.task_id in task_owner:
            by_user[task_owner[row.task_id]]["masklets"].append(row.id)
    return list(by_user.values())


def consensus_scores(*, video: Video, rows: list[MaskletRow] | None = None) -> dict[str, Any]:
    """{annotators, pairs, groups} with user ids (not objects) and without ``resolved``, which
    callers add from the masklets' current flags. Cached per video."""
    if rows is None:
        rows = masklet_rows(video_ids=[video.pk])[video.pk]
    annotators = consensus_annotators(video=video, rows=rows)
    key = _digest(ScoreKind.CONSENSUS, rows, [[a["user"], a["task"]] for a in annotators])
    data = _cached(video, ScoreKind.CONSENSUS, key)
    if data is None:
        labels = {row.id: row.label_id for row in rows}
        data = _consensus_compute(video=video, annotators=annotators, labels=labels)
        _store(video, ScoreKind.CONSENSUS, key, data)
    return data


def _consensus_compute(
    *, video: Video, annotators: list[dict[str, Any]], labels: dict[int, int | None]
) -> dict[str, Any]:
    ids = [pk for entry in annotators for pk in entry["masklets"]]
    means = pair_means(video=video, ids=ids, labels=labels)
    pairs = []
    edges: list[Match] = []
    for i, first in enumerate(annotators):
        for second in annotators[i + 1 :]:
            matches = match(means, first["masklets"], second["masklets"])
            edges.extend(matches)
            matched_a = {m.a for m in matches}
            matched_b = {m.b for m in matches}
            pairs.append(
                {
                    "a": first["user"],
                    "b": second["user"],
                    "matches": [m.as_dict() for m in matches],
                    "unmatched_a": [pk for pk in first["masklets"] if pk not in matched_a],
                    "unmatched_b": [pk for pk in second["masklets"] if pk not in matched_b],
                    "j": metrics.mean_or_none(m.j for m in matches),
                    "f": metrics.mean_or_none(m.f for m in matches),
                    "jf": metrics.mean_or_none(m.jf for m in matches),
                }
            )
    return {"annotators": annotators, "pairs": pairs, "groups": _groups(ids, edges)}


def _groups(ids: list[int], edges: list[Match]) -> list[dict[str, Any]]:
    """Connected components of the matches: the versions of one object across annotators. A
    masklet nobody else matched is a group of one (jf null)."""
    parent = {pk: pk for pk in ids}

    def root(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    for edge in edges:
        parent[root(edge.a)] = root(edge.b)
    members: dict[int, list[int]] = defaultdict(list)
    for pk in ids:
        members[root(pk)].append(pk)
    scores: dict[int, list[float]] = defaultdict(list)
    for edge in edges:
        scores[root(edge.a)].append(edge.jf)
    groups = [
        {"masklets": sorted(group), "jf": metrics.mean_or_none(scores[r])}
        for r, group in members.items()
    ]
    return sorted(groups, key=lambda g: g["masklets"][0])


def group_resolved(masklets: list[int], discarded: set[int]) -> int | None:
    """The chosen version of a group: the one masklet left when all others were discarded."""
    kept = [pk for pk in masklets if pk not in discarded]
    if len(masklets) > 1 and len(kept) == 1:
        return kept[0]
    return None


# ---- ground truth ------------------------------------------------------------------------------


def ground_truth_scores(
    *, video: Video, rows: list[MaskletRow] | None = None
) -> list[dict[str, Any]]:
    """[{user: id, matched, missed, extra, j, f, jf, ground_truth}] per annotator with masklets
    on the video, against its ground-truth masklets; [] when it has none. Cached per video.

    As in DAVIS 2017 (unsupervised): each ground-truth masklet scores the J and F of the
    annotator's masklet matched to it, 0 when none is (missed); means are over the
    ground-truth masklets; extra masklets are counted, not scored."""
    if rows is None:
        rows = masklet_rows(video_ids=[video.pk])[video.pk]
    key = _digest(ScoreKind.GROUND_TRUTH, rows)
    data = _cached(video, ScoreKind.GROUND_TRUTH, key)
    if data is None:
        data = _ground_truth_compute(video=video, rows=rows)
        _store(video, ScoreKind.GROUND_TRUTH, key, data)
    return data


def _ground_truth_compute(*, video: Video, rows: list[MaskletRow]) -> list[dict[str, Any]]:
    truth = [row.id for row in rows if row.is_ground_truth]
    if not truth:
        return []
    work: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        if not row.is_ground_truth and row.annotator_id is not None:
            work[row.annotator_id].append(row.id)
    means = pair_means(
        video=video,
        ids=truth + [pk for ids in work.values() for pk in ids],
        labels={row.id: row.label_id for row in rows},
    )
    scores = []
    for user_id in sorted(work):
        matches = match(means, work[user_id], truth)
        scores.append(
            {
                "user": user_id,
                "matched": len(matches),
                "missed": len(truth) - len(matches),
                "extra": len(work[user_id]) - len(matches),
                "j": sum(m.j for m in matches) / len(truth),
                "f": sum(m.f for m in matches) / len(truth),
                "jf": sum(m.jf for m in matches) / len(truth),
                "ground_truth": len(truth),
            }
        )
    return scores


def discarded_ids(*, masklet_ids: Iterable[int]) -> set[int]:
    return set(
        Masklet.objects.filter(
            Q(pk__in=list(masklet_ids)) & Q(consensus_discarded=True)
        ).values_list("id", flat=True)
    )
