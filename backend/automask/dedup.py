"""Which generated masks become auto masklets: not covered by an existing masklet or an
earlier proposal, and within the job's cap."""

from dataclasses import dataclass, field

from backend.common import rle


@dataclass
class Selection:
    chosen: list[int] = field(default_factory=list)  # indices into the candidates, in order
    duplicates: int = 0
    over_cap: int = 0


def select_new_masks(
    *, candidates: list[rle.Rle], existing: list[rle.Rle], iou_threshold: float, room: int
) -> Selection:
    """Walks the candidates in the generator's order (best first): one whose IoU with any
    existing mask or any candidate chosen before it is above ``iou_threshold`` is a
    duplicate; of the others the first ``room`` are chosen, the rest are over the cap.
    Empty candidates are duplicates of nothing and are never chosen (counted as duplicates)."""
    selection = Selection()
    kept = list(existing)
    against_existing = rle.iou_matrix(candidates, kept)
    for index, candidate in enumerate(candidates):
        if rle.area(candidate) == 0:
            selection.duplicates += 1
            continue
        covered = against_existing.shape[1] > 0 and against_existing[index].max() > iou_threshold
        if not covered and len(kept) > len(existing):
            chosen = kept[len(existing) :]
            covered = rle.iou_matrix([candidate], chosen).max() > iou_threshold
        if covered:
            selection.duplicates += 1
        elif len(selection.chosen) >= room:
            selection.over_cap += 1
        else:
            selection.chosen.append(index)
            kept.append(candidate)
    return selection
