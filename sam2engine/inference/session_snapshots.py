"""Saving and restoring video sessions: the :class:`SessionSnapshots` mixin that gives
:class:`~sam2engine.inference.session.VideoSession` its :meth:`~SessionSnapshots.snapshot`,
:meth:`~SessionSnapshots.object_snapshot`, :meth:`~SessionSnapshots.restore_object` and
:meth:`~SessionSnapshots.restore`.

The manifests themselves (:class:`~sam2engine.inference.snapshot.SessionSnapshot`,
:class:`~sam2engine.inference.snapshot.ObjectSnapshot`, the model identity they carry) are in
:mod:`sam2engine.inference.snapshot`; converting one object's state to and from a manifest is in
:mod:`sam2engine.inference.state`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import torch

from sam2engine.config import ModelConfig
from sam2engine.inference.errors import SessionError
from sam2engine.inference.outputs import OutputBank
from sam2engine.inference.snapshot import (
    ModelIdentity,
    ObjectSnapshot,
    SessionOptions,
    SessionSnapshot,
    weights_fingerprint,
)
from sam2engine.inference.state import (
    ObjectState,
    capture,
    check_snapshot,
    replace_object,
    restore_objects,
)
from sam2engine.inference.store import OutputStore
from sam2engine.modeling.sam2 import SAM2Model


class SessionSnapshots:
    """Snapshot and restore for :class:`~sam2engine.inference.session.VideoSession` (its only
    user): whole sessions, or one object at a time (undo)."""

    if TYPE_CHECKING:
        # What the methods below use of the session (all defined by VideoSession).
        model: SAM2Model
        cfg: ModelConfig
        num_frames: int
        video_hw: tuple[int, int]
        objects: list[ObjectState]
        corrections_as_conditioning: bool
        fill_hole_area: int
        non_overlap_masks: bool
        _bank: OutputBank

        def __init__(
            self,
            model: SAM2Model,
            frames: Sequence[np.ndarray] | str | Path,
            *,
            store: OutputStore | None = None,
            **options: Any,
        ) -> None: ...

        @property
        def device(self) -> torch.device: ...

        def _object(self, obj_id: Any) -> tuple[int, ObjectState]: ...

        def close(self) -> None: ...

    def _identity(self) -> ModelIdentity:
        return ModelIdentity(self.cfg.name, self.cfg.fingerprint(), weights_fingerprint(self.model))

    def object_snapshot(self, obj_id: Any) -> ObjectSnapshot:
        """One object's whole state as a manifest (outputs made since the last snapshot are
        written to the store first; nothing else is)."""
        _, obj = self._object(obj_id)
        return capture(obj, self._bank, self.num_frames, self._identity())

    def snapshot(self) -> SessionSnapshot:
        """Every object's state, in order, plus the options that change results."""
        identity = self._identity()
        return SessionSnapshot(
            objects=tuple(capture(o, self._bank, self.num_frames, identity) for o in self.objects),
            num_frames=self.num_frames,
            video_hw=self.video_hw,
            options=SessionOptions(
                corrections_as_conditioning=self.corrections_as_conditioning,
                fill_hole_area=self.fill_hole_area,
                non_overlap_masks=self.non_overlap_masks,
            ),
            model=identity,
        )

    def restore_object(self, obj_id: Any, snapshot: ObjectSnapshot) -> None:
        """Replace object ``obj_id``'s whole state by ``snapshot`` (taken from this session
        or another one sharing its store), or re-create the object (appended) if it is
        gone. Outputs are read from the store when first needed."""
        if not isinstance(snapshot, ObjectSnapshot):
            raise SessionError("restore_object needs an ObjectSnapshot")
        check_snapshot(
            snapshot, self._identity(), self.num_frames, f"the snapshot of object {obj_id!r}"
        )
        replace_object(self.objects, obj_id, snapshot, self._bank, self.device)

    @classmethod
    def restore(
        cls,
        model: SAM2Model,
        frames: Sequence[np.ndarray] | str | Path,
        snapshot: SessionSnapshot,
        store: OutputStore,
        **options: Any,
    ) -> Self:
        """A session continuing ``snapshot`` exactly, its outputs read lazily from ``store``.

        ``options`` are those of the constructor; the options that change results
        (corrections_as_conditioning, fill_hole_area, non_overlap_masks) default to the
        snapshot's.
        """
        if not isinstance(snapshot, SessionSnapshot):
            raise SessionError("restore needs a SessionSnapshot")
        opts = {**dataclasses.asdict(snapshot.options), **options}
        session = cls(model, frames, store=store, **opts)
        try:
            check_snapshot(
                snapshot, session._identity(), session.num_frames, "the session snapshot"
            )
            session.objects = restore_objects(
                snapshot, session.video_hw, session._bank, session.device
            )
        except BaseException:
            session.close()
            raise
        return session
