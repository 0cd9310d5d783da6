"""Per-object tracking state of a video session, and its conversion to and from snapshots."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from sam2engine.inference.errors import SessionError
from sam2engine.inference.outputs import OutputBank, OutputRef, Window
from sam2engine.inference.snapshot import Keyed, ModelIdentity, ObjectSnapshot, SessionSnapshot


@dataclass
class ObjectState:
    """One object's tracking state (one memory bank per object, official per-object
    semantics). Outputs are :class:`OutputRef` handles resolved through the session's
    :class:`OutputBank`; each handle sits in exactly one of the four tables."""

    obj_id: Any
    cond: dict[int, OutputRef] = field(default_factory=dict)  # conditioning, insertion order
    non_cond: dict[int, OutputRef] = field(default_factory=dict)  # every tracked output
    pending_cond: dict[int, OutputRef] = field(default_factory=dict)  # prompts since last run
    pending_non_cond: dict[int, OutputRef] = field(default_factory=dict)
    points: dict[int, tuple[torch.Tensor, torch.Tensor]] = field(
        default_factory=dict
    )  # model space: [1, N, 2] float32 coords, [1, N] int32 labels
    mask_frames: set[int] = field(default_factory=set)
    tracked: dict[int, bool] = field(default_factory=dict)  # frame -> tracked in reverse
    window: Window = field(default_factory=OrderedDict)  # resident tracked outputs, LRU first

    def ref_on(self, frame: int, pending_cond_first: bool = True) -> OutputRef | None:
        """Latest output on ``frame``: prompts since the last propagation (the kind named
        first), then stored outputs."""
        pending = (
            (self.pending_cond, self.pending_non_cond)
            if pending_cond_first
            else (self.pending_non_cond, self.pending_cond)
        )
        for table in (pending[0], self.cond, self.non_cond, pending[1]):
            ref = table.get(frame)
            if ref is not None:
                return ref
        return None

    def stored(self, frame: int) -> OutputRef | None:
        """Output usable as memory/pointer (official ``output_dict``: no pending outputs)."""
        ref = self.cond.get(frame)
        return ref if ref is not None else self.non_cond.get(frame)

    def refs(self) -> Iterator[OutputRef]:
        for table in (self.cond, self.non_cond, self.pending_cond, self.pending_non_cond):
            yield from table.values()

    def put(
        self, bank: OutputBank, table: dict[int, OutputRef], frame: int, ref: OutputRef
    ) -> None:
        """Set ``table[frame]`` (a replaced cond frame keeps its insertion position); a
        tracked output may be spilled from now on, the others stay in RAM."""
        old = table.get(frame)
        table[frame] = ref
        if old is not None and old is not ref:
            bank.drop(old)
        bank.place(ref, self.window if table is self.non_cond else None)

    def pop(self, bank: OutputBank, table: dict[int, OutputRef], frame: int) -> None:
        old = table.pop(frame, None)
        if old is not None:
            bank.drop(old)

    def drop_all(self, bank: OutputBank) -> None:
        for ref in list(self.refs()):
            bank.drop(ref)


def capture(
    obj: ObjectState, bank: OutputBank, num_frames: int, model: ModelIdentity
) -> ObjectSnapshot:
    """The object's state as a manifest; outputs only in RAM are written first."""
    if isinstance(obj.obj_id, bool) or not isinstance(obj.obj_id, (int, str)):
        raise SessionError(
            f"object id {obj.obj_id!r}: only int and str ids can be put into a snapshot"
        )
    for ref in obj.refs():
        bank.persist(ref)

    def keyed(table: dict[int, OutputRef]) -> Keyed:
        return tuple((f, ref.key) for f, ref in table.items())

    return ObjectSnapshot(
        obj_id=obj.obj_id,
        cond=keyed(obj.cond),
        non_cond=tuple(sorted(keyed(obj.non_cond))),
        pending_cond=keyed(obj.pending_cond),
        pending_non_cond=keyed(obj.pending_non_cond),
        points=tuple(
            (
                f,
                tuple((float(x), float(y)) for x, y in pts[0].tolist()),
                tuple(int(v) for v in lab[0].tolist()),
            )
            for f, (pts, lab) in obj.points.items()
        ),
        mask_frames=tuple(sorted(obj.mask_frames)),
        tracked=tuple(sorted(obj.tracked.items())),
        num_frames=num_frames,
        model=model,
    )


def rebuild(
    snap: ObjectSnapshot,
    obj_id: Any,
    bank: OutputBank,
    device: torch.device,
    reuse: dict[str, OutputRef],
) -> ObjectState:
    """A new object state from a manifest. Outputs are loaded lazily; handles in ``reuse``
    (resident outputs of the state being replaced) are taken over when the key matches."""
    for f in _frames(snap):
        if not 0 <= f < snap.num_frames:
            raise SessionError(f"snapshot of object {snap.obj_id!r}: frame {f} out of range")
    obj = ObjectState(obj_id)

    def fill(table: dict[int, OutputRef], entries: Keyed, tracked_window: bool) -> None:
        window = obj.window if tracked_window else None
        for f, key in entries:
            ref = reuse.pop(key, None)
            if ref is None:
                ref = bank.adopt(key, window)
            else:
                bank.place(ref, window)
            table[f] = ref

    fill(obj.cond, snap.cond, False)
    fill(obj.non_cond, snap.non_cond, True)
    fill(obj.pending_cond, snap.pending_cond, False)
    fill(obj.pending_non_cond, snap.pending_non_cond, False)
    for f, coords, labels in snap.points:
        pts = torch.tensor([list(p) for p in coords], dtype=torch.float32, device=device)
        lab = torch.tensor(list(labels), dtype=torch.int32, device=device)
        obj.points[f] = (pts.reshape(1, -1, 2), lab.reshape(1, -1))
    obj.mask_frames = set(snap.mask_frames)
    obj.tracked = dict(snap.tracked)
    return obj


def check_snapshot(
    snap: ObjectSnapshot | SessionSnapshot, model: ModelIdentity, num_frames: int, what: str
) -> None:
    """Refuse a snapshot of another model or another video length."""
    model.check(snap.model, what)
    if snap.num_frames != num_frames:
        raise SessionError(
            f"{what} is of a video with {snap.num_frames} frames, this one has {num_frames}"
        )


def replace_object(
    objects: list[ObjectState],
    obj_id: Any,
    snap: ObjectSnapshot,
    bank: OutputBank,
    device: torch.device,
) -> None:
    """Put ``snap``'s state in place of object ``obj_id`` in ``objects`` (same position),
    or append it if there is no such object."""
    old = next((o for o in objects if o.obj_id == obj_id), None)
    reuse = {} if old is None else {ref.key: ref for ref in old.refs()}
    new = rebuild(snap, obj_id, bank, device, reuse)
    for ref in reuse.values():  # the old state's outputs that the snapshot does not hold
        bank.drop(ref)
    if old is None:
        objects.append(new)
    else:
        objects[objects.index(old)] = new


def restore_objects(
    snap: SessionSnapshot, video_hw: tuple[int, int], bank: OutputBank, device: torch.device
) -> list[ObjectState]:
    if tuple(snap.video_hw) != video_hw:
        raise SessionError(
            f"the session snapshot is of a {snap.video_hw[0]}x{snap.video_hw[1]} video, "
            f"these frames are {video_hw[0]}x{video_hw[1]}"
        )
    ids = [o.obj_id for o in snap.objects]
    if len(set(ids)) != len(ids):
        raise SessionError("the session snapshot names an object twice")
    return [rebuild(o, o.obj_id, bank, device, {}) for o in snap.objects]


def _frames(snap: ObjectSnapshot) -> Iterator[int]:
    for table in (snap.cond, snap.non_cond, snap.pending_cond, snap.pending_non_cond):
        yield from (f for f, _ in table)
    yield from (f for f, _, _ in snap.points)
    yield from snap.mask_frames
    yield from (f for f, _ in snap.tracked)
