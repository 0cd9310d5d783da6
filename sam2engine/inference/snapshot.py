"""Snapshots of video sessions: small JSON manifests that refer to outputs by store key.

An :class:`ObjectSnapshot` is everything that defines one object's tracking state (its
conditioning, tracked and pending outputs by key, its clicks in model space, its mask
frames, the direction each frame was tracked in); a :class:`SessionSnapshot` is every
object in order plus the session options that change results. Both record the engine
format version and fingerprints of the model config and weights, so that state is never
continued on another model. Click coordinates are float32 values written as JSON numbers
(float32 -> Python float -> float32 is exact).
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from sam2engine.inference.errors import SessionError
from sam2engine.inference.store import KEY_PATTERN

#: Version of the snapshot and output-blob formats; restore refuses any other.
FORMAT_VERSION = 1

Keyed = tuple[tuple[int, str], ...]  # (frame, output key) in the state's dict order
Points = tuple[tuple[int, tuple[tuple[float, float], ...], tuple[int, ...]], ...]

_weights_cache: weakref.WeakKeyDictionary[nn.Module, tuple[tuple[int, ...], str]] = (
    weakref.WeakKeyDictionary()
)


def weights_fingerprint(model: nn.Module) -> str:
    """sha256-based digest of every parameter and buffer (names, dtypes, shapes, bytes).

    Computed once per model and reused until a tensor is modified in place (e.g. loading
    other weights), which torch's per-tensor version counters reveal.
    """
    state = model.state_dict()
    versions = tuple(t._version for t in state.values())
    cached = _weights_cache.get(model)
    if cached is not None and cached[0] == versions:
        return cached[1]
    h = hashlib.sha256()
    for name, t in state.items():
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.detach().to("cpu").contiguous().view(torch.uint8).numpy().tobytes())
    digest = h.hexdigest()
    _weights_cache[model] = (versions, digest)
    return digest


@dataclass(frozen=True)
class ModelIdentity:
    """Which model a snapshot belongs to."""

    config_name: str
    config_fingerprint: str
    weights_fingerprint: str

    def check(self, other: ModelIdentity, what: str) -> None:
        if other.config_fingerprint != self.config_fingerprint:
            raise SessionError(
                f"{what} was made with model config {other.config_name!r} "
                f"(fingerprint {other.config_fingerprint[:12]}), this session's model is "
                f"{self.config_name!r} ({self.config_fingerprint[:12]}): it cannot be restored"
            )
        if other.weights_fingerprint != self.weights_fingerprint:
            raise SessionError(
                f"{what} was made with other weights (fingerprint "
                f"{other.weights_fingerprint[:12]}, this model has "
                f"{self.weights_fingerprint[:12]}): it cannot be restored"
            )


@dataclass(frozen=True)
class ObjectSnapshot:
    """One object's whole state. Compare two with ``==`` (same state, same keys)."""

    obj_id: int | str
    cond: Keyed
    non_cond: Keyed
    pending_cond: Keyed
    pending_non_cond: Keyed
    points: Points  # (frame, model-space (x, y) pairs, labels)
    mask_frames: tuple[int, ...]
    tracked: tuple[tuple[int, bool], ...]  # (frame, tracked in reverse)
    num_frames: int
    model: ModelIdentity
    version: int = FORMAT_VERSION

    def keys(self) -> set[str]:
        """Store keys of every output this snapshot refers to."""
        return {
            k
            for table in (self.cond, self.non_cond, self.pending_cond, self.pending_non_cond)
            for _, k in table
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "sam2engine.object",
            "version": self.version,
            "model": _identity_dict(self.model),
            "num_frames": self.num_frames,
            "obj_id": self.obj_id,
            "cond": [list(e) for e in self.cond],
            "non_cond": [list(e) for e in self.non_cond],
            "pending_cond": [list(e) for e in self.pending_cond],
            "pending_non_cond": [list(e) for e in self.pending_non_cond],
            "points": [
                {"frame": f, "coords": [list(p) for p in coords], "labels": list(labels)}
                for f, coords, labels in self.points
            ],
            "mask_frames": list(self.mask_frames),
            "tracked": [list(e) for e in self.tracked],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any, where: str = "object snapshot") -> ObjectSnapshot:
        d = _mapping(data, where)
        _check_format(d, "sam2engine.object", where)
        obj_id = d.get("obj_id")
        if isinstance(obj_id, bool) or not isinstance(obj_id, (int, str)):
            raise SessionError(f"{where}: obj_id must be an int or a string")
        points = []
        for i, entry in enumerate(_list(d, "points", where)):
            e = _mapping(entry, f"{where}.points[{i}]")
            coords = tuple(
                (_float(p, 0, where), _float(p, 1, where))
                for p in _list(e, "coords", f"{where}.points[{i}]")
            )
            labels = tuple(_int(v, f"{where}.points[{i}].labels") for v in e.get("labels", []))
            if len(labels) != len(coords):
                raise SessionError(
                    f"{where}.points[{i}]: {len(coords)} coords, {len(labels)} labels"
                )
            points.append((_int(e.get("frame"), f"{where}.points[{i}].frame"), coords, labels))
        return cls(
            obj_id=obj_id,
            cond=_keyed(d, "cond", where),
            non_cond=_keyed(d, "non_cond", where),
            pending_cond=_keyed(d, "pending_cond", where),
            pending_non_cond=_keyed(d, "pending_non_cond", where),
            points=tuple(points),
            mask_frames=tuple(
                _int(v, f"{where}.mask_frames") for v in _list(d, "mask_frames", where)
            ),
            tracked=tuple(
                (_int(_pair(e, where)[0], where), _bool(_pair(e, where)[1], where))
                for e in _list(d, "tracked", where)
            ),
            num_frames=_int(d.get("num_frames"), f"{where}.num_frames"),
            model=_identity(d.get("model"), where),
            version=int(d["version"]),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ObjectSnapshot:
        return cls.from_dict(_loads(text, "object snapshot"))


@dataclass(frozen=True)
class SessionOptions:
    """Session options that change results (restored with the state unless overridden)."""

    corrections_as_conditioning: bool
    fill_hole_area: int
    non_overlap_masks: bool


@dataclass(frozen=True)
class SessionSnapshot:
    """Every object of a session, in order, plus the options that change results."""

    objects: tuple[ObjectSnapshot, ...]
    num_frames: int
    video_hw: tuple[int, int]
    options: SessionOptions
    model: ModelIdentity
    version: int = FORMAT_VERSION

    def keys(self) -> set[str]:
        """Store keys of every output this snapshot refers to."""
        return set().union(*(o.keys() for o in self.objects))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "sam2engine.session",
            "version": self.version,
            "model": _identity_dict(self.model),
            "num_frames": self.num_frames,
            "video_hw": list(self.video_hw),
            "options": {
                "corrections_as_conditioning": self.options.corrections_as_conditioning,
                "fill_hole_area": self.options.fill_hole_area,
                "non_overlap_masks": self.options.non_overlap_masks,
            },
            "objects": [o.to_dict() for o in self.objects],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any) -> SessionSnapshot:
        where = "session snapshot"
        d = _mapping(data, where)
        _check_format(d, "sam2engine.session", where)
        hw = _list(d, "video_hw", where)
        if len(hw) != 2:
            raise SessionError(f"{where}: video_hw must be [height, width]")
        opts = _mapping(d.get("options"), f"{where}.options")
        return cls(
            objects=tuple(
                ObjectSnapshot.from_dict(o, f"{where}.objects[{i}]")
                for i, o in enumerate(_list(d, "objects", where))
            ),
            num_frames=_int(d.get("num_frames"), f"{where}.num_frames"),
            video_hw=(_int(hw[0], where), _int(hw[1], where)),
            options=SessionOptions(
                corrections_as_conditioning=_bool(
                    opts.get("corrections_as_conditioning"), f"{where}.options"
                ),
                fill_hole_area=_int(opts.get("fill_hole_area"), f"{where}.options"),
                non_overlap_masks=_bool(opts.get("non_overlap_masks"), f"{where}.options"),
            ),
            model=_identity(d.get("model"), where),
            version=int(d["version"]),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> SessionSnapshot:
        return cls.from_dict(_loads(text, "session snapshot"))


# ---------------------------------------------------------------------------- JSON checks
def _loads(text: str | bytes, where: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError) as exc:
        raise SessionError(f"{where}: not JSON ({exc})") from None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SessionError(f"{where}: expected an object")
    return value


def _list(d: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = d.get(key)
    if not isinstance(value, list):
        raise SessionError(f"{where}: {key!r} must be a list")
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SessionError(f"{where}: expected an integer, got {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SessionError(f"{where}: expected true or false, got {value!r}")
    return value


def _pair(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise SessionError(f"{where}: expected a [frame, value] pair, got {value!r}")
    return value


def _float(point: Any, i: int, where: str) -> float:
    if not isinstance(point, list) or len(point) != 2:
        raise SessionError(f"{where}: a point must be [x, y], got {point!r}")
    v = point[i]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SessionError(f"{where}: a coordinate must be a number, got {v!r}")
    return float(v)


def _keyed(d: Mapping[str, Any], key: str, where: str) -> Keyed:
    out = []
    for e in _list(d, key, where):
        frame, k = _pair(e, f"{where}.{key}")
        if not isinstance(k, str) or KEY_PATTERN.fullmatch(k) is None:
            raise SessionError(f"{where}.{key}: bad output key {k!r}")
        out.append((_int(frame, f"{where}.{key}"), k))
    frames = [f for f, _ in out]
    if len(set(frames)) != len(frames):
        raise SessionError(f"{where}.{key}: a frame appears twice")
    return tuple(out)


def _check_format(d: Mapping[str, Any], name: str, where: str) -> None:
    if d.get("format") != name:
        raise SessionError(f"{where}: not a {name} manifest (format {d.get('format')!r})")
    if d.get("version") != FORMAT_VERSION:
        raise SessionError(
            f"{where}: format version {d.get('version')!r}; this engine reads version "
            f"{FORMAT_VERSION} only"
        )


def _identity_dict(m: ModelIdentity) -> dict[str, str]:
    return {
        "config_name": m.config_name,
        "config_fingerprint": m.config_fingerprint,
        "weights_fingerprint": m.weights_fingerprint,
    }


def _identity(value: Any, where: str) -> ModelIdentity:
    d = _mapping(value, f"{where}.model")
    fields = ("config_name", "config_fingerprint", "weights_fingerprint")
    if not all(isinstance(d.get(f), str) for f in fields):
        raise SessionError(f"{where}.model: needs {', '.join(fields)} (strings)")
    return ModelIdentity(d["config_name"], d["config_fingerprint"], d["weights_fingerprint"])
