"""Per-object per-frame outputs of a video session, and where they live.

Every output a session makes is kept (exact official retention), but only a bounded working
set is in RAM: conditioning and pending outputs (attended on every frame), plus per object a
window of the most recently used tracked outputs. The rest is spilled to an
:class:`~sam2engine.inference.store.OutputStore` and read back, bit-identical, when a
correction, a pass in the other direction or a mask request needs it.

Blob format (one output): ``S2EOUT`` + format byte pair (8 bytes), CRC-32 of the payload
(4 bytes, little endian), payload = safetensors of ``low_res_logits`` [1, 1, 4E, 4E]
float32, ``obj_ptr`` [1, C] float32, ``object_score`` [1, 1] float32, ``all_ious``
[1, K] float32, ``holes_filled`` [1] int64 and, when present, ``maskmem`` [1, M, E, E]
bfloat16. Tensors are stored as they are (no re-quantisation); nothing is pickled.
"""

from __future__ import annotations

import struct
import time
import uuid
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from sam2engine.config import ModelConfig
from sam2engine.inference.errors import SessionError
from sam2engine.inference.store import OutputStore, PrivateDiskStore

BLOB_MAGIC = b"S2EOUT\x00\x01"
_HEADER = len(BLOB_MAGIC) + 4


class OutputUnavailable(SessionError):
    """An output blob is missing from the store or does not decode (message names the key)."""


@dataclass(frozen=True)
class FrameOutput:
    """What is kept of one object's result on one frame. Never changed once made: a
    recomputed frame is a new output."""

    low_res_logits: torch.Tensor  # [1, 1, 4E, 4E] float32, after hole filling
    obj_ptr: torch.Tensor  # [1, C] float32
    object_score: torch.Tensor  # [1, 1] float32 logit
    all_ious: torch.Tensor  # [1, K] IoU predictions of the decoder run (diagnostics)
    maskmem: torch.Tensor | None = None  # [1, M, E, E] bfloat16 memory features
    holes_filled: int = 0  # low-res pixels changed by hole filling

    def tensors(self) -> dict[str, torch.Tensor]:
        named = {
            "low_res_logits": self.low_res_logits,
            "obj_ptr": self.obj_ptr,
            "object_score": self.object_score,
            "all_ious": self.all_ious,
        }
        if self.maskmem is not None:
            named["maskmem"] = self.maskmem
        return named

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.tensors().values())


def output_layout(cfg: ModelConfig) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Shape and dtype of every tensor of an output of a model with config ``cfg``."""
    low, e = cfg.low_res_mask_size, cfg.embedding_size
    return {
        "low_res_logits": ((1, 1, low, low), torch.float32),
        "obj_ptr": ((1, cfg.hidden_dim), torch.float32),
        "object_score": ((1, 1), torch.float32),
        "all_ious": ((1, cfg.num_multimask_outputs + 1), torch.float32),
        "holes_filled": ((1,), torch.int64),
        "maskmem": ((1, cfg.mem_dim, e, e), torch.bfloat16),
    }


def encode_output(out: FrameOutput) -> bytes:
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in out.tensors().items()}
    tensors["holes_filled"] = torch.tensor([out.holes_filled], dtype=torch.int64)
    payload = st_save(tensors)
    return BLOB_MAGIC + struct.pack("<I", zlib.crc32(payload)) + payload


def decode_output(
    data: bytes,
    layout: dict[str, tuple[tuple[int, ...], torch.dtype]],
    device: torch.device | None = None,
) -> FrameOutput:
    """Inverse of :func:`encode_output`; raises ValueError saying what is wrong."""
    if len(data) < _HEADER or data[: len(BLOB_MAGIC)] != BLOB_MAGIC:
        raise ValueError("not an output blob of this engine format (bad magic bytes)")
    (crc,) = struct.unpack("<I", data[len(BLOB_MAGIC) : _HEADER])
    payload = data[_HEADER:]
    if zlib.crc32(payload) != crc:
        raise ValueError("checksum mismatch (the blob is corrupt or truncated)")
    try:
        tensors = st_load(payload)
    except Exception as exc:  # safetensors raises its own error types
        raise ValueError(f"unreadable payload: {exc}") from None
    optional = {"maskmem"}
    missing = [k for k in layout if k not in tensors and k not in optional]
    unexpected = [k for k in tensors if k not in layout]
    if missing or unexpected:
        raise ValueError(f"tensors missing {missing} / unexpected {unexpected}")
    for k, t in tensors.items():
        shape, dtype = layout[k]
        if tuple(t.shape) != shape or t.dtype != dtype:
            raise ValueError(f"{k} is {tuple(t.shape)} {t.dtype}, this model needs {shape} {dtype}")
    if device is not None and device.type != "cpu":
        tensors = {k: v.to(device) for k, v in tensors.items()}
    return FrameOutput(
        low_res_logits=tensors["low_res_logits"],
        obj_ptr=tensors["obj_ptr"],
        object_score=tensors["object_score"],
        all_ious=tensors["all_ious"],
        maskmem=tensors.get("maskmem"),
        holes_filled=int(tensors["holes_filled"][0]),
    )


class OutputRef:
    """One output of one object: its store key and, while resident, its tensors.

    ``lru`` is the object's window of resident tracked outputs this ref belongs to; None
    for pinned outputs (conditioning and pending ones), which stay in RAM once loaded.
    """

    __slots__ = ("key", "value", "stored", "shared", "lru")

    def __init__(self, key: str, value: FrameOutput | None, stored: bool, shared: bool) -> None:
        self.key = key
        self.value = value
        self.stored = stored  # the blob is in the store
        self.shared = shared  # in a snapshot (taken here or restored): never deleted by us
        self.lru: OrderedDict[str, OutputRef] | None = None

    def __repr__(self) -> str:
        where = "ram" if self.value is not None else "store"
        return f"OutputRef({self.key!r}, {where}{', stored' if self.stored else ''})"


Window = OrderedDict[str, OutputRef]


class OutputBank:
    """Creates, spills, loads and drops a session's outputs.

    ``window``: tracked outputs per object kept in RAM (least recently used spilled first);
    None keeps everything in RAM. The store is created on first use when none is given
    (a private temporary folder, removed by :meth:`close`).
    """

    def __init__(
        self,
        cfg: ModelConfig,
        device: torch.device,
        store: OutputStore | None,
        window: int | None,
    ) -> None:
        if window is not None and window < 0:
            raise ValueError("the RAM window must be >= 0 outputs")
        self.layout = output_layout(cfg)
        self.device = device
        self.window = window
        self._store = store
        self._prefix = uuid.uuid4().hex[:20]
        self._counter = 0
        self.resident_bytes = 0
        self.counters: dict[str, float] = {
            "writes": 0,
            "bytes_written": 0,
            "write_s": 0.0,
            "reads": 0,
            "bytes_read": 0,
            "read_s": 0.0,
            "deletes": 0,
        }

    @property
    def store(self) -> OutputStore:
        if self._store is None:
            self._store = PrivateDiskStore()
        return self._store

    @property
    def has_private_store(self) -> bool:
        return isinstance(self._store, PrivateDiskStore)

    def close(self) -> None:
        if isinstance(self._store, PrivateDiskStore):
            self._store.remove()

    # ------------------------------------------------------------------ refs
    def create(self, value: FrameOutput) -> OutputRef:
        """A new output, resident, not yet written and pinned until :meth:`place`d."""
        self._counter += 1
        ref = OutputRef(f"{self._prefix}-{self._counter:x}", value, stored=False, shared=False)
        self.resident_bytes += value.nbytes
        return ref

    def adopt(self, key: str, window: Window | None) -> OutputRef:
        """An output known only by its key (from a snapshot): loaded on first use."""
        ref = OutputRef(key, None, stored=True, shared=True)
        ref.lru = window
        return ref

    def place(self, ref: OutputRef, window: Window | None) -> None:
        """Move ``ref`` into ``window`` (it may be spilled from then on) or pin it (None)."""
        if ref.lru is not None:
            ref.lru.pop(ref.key, None)
        ref.lru = window
        if window is not None and ref.value is not None:
            window[ref.key] = ref
            self._evict(window)

    def get(self, ref: OutputRef) -> FrameOutput:
        value = ref.value
        if value is None:
            value = self._load(ref)
            ref.value = value
            self.resident_bytes += value.nbytes
            if ref.lru is not None:
                ref.lru[ref.key] = ref
                self._evict(ref.lru)
        elif ref.lru is not None:
            ref.lru.move_to_end(ref.key)
        return value

    def persist(self, ref: OutputRef) -> None:
        """Make sure the blob is in the store and keep it there (it enters a snapshot)."""
        if not ref.stored:
            assert ref.value is not None  # an unwritten output is always resident
            self._write(ref.key, ref.value)
            ref.stored = True
        ref.shared = True

    def drop(self, ref: OutputRef) -> None:
        """The output left the session's state: free its RAM, and its blob when no
        snapshot can refer to it."""
        if ref.lru is not None:
            ref.lru.pop(ref.key, None)
            ref.lru = None
        if ref.value is not None:
            self.resident_bytes -= ref.value.nbytes
            ref.value = None
        if ref.stored and not ref.shared:
            try:
                self.store.delete(ref.key)
                self.counters["deletes"] += 1
            except OSError:
                pass  # garbage left behind is harmless; the key is never reused
            ref.stored = False

    # ------------------------------------------------------------------ store IO
    def _evict(self, window: Window) -> None:
        if self.window is None:
            return
        while len(window) > self.window:
            _, ref = window.popitem(last=False)
            assert ref.value is not None
            if not ref.stored:
                self._write(ref.key, ref.value)
                ref.stored = True
            self.resident_bytes -= ref.value.nbytes
            ref.value = None

    def _write(self, key: str, value: FrameOutput) -> None:
        t0 = time.perf_counter()
        data = encode_output(value)
        self.store.put(key, data)
        self.counters["writes"] += 1
        self.counters["bytes_written"] += len(data)
        self.counters["write_s"] += time.perf_counter() - t0

    def _load(self, ref: OutputRef) -> FrameOutput:
        t0 = time.perf_counter()
        try:
            data = self.store.get(ref.key)
        except KeyError:
            raise OutputUnavailable(
                f"output {ref.key!r} is missing from the output store {self.store!r}"
            ) from None
        try:
            value = decode_output(data, self.layout, self.device)
        except ValueError as exc:
            raise OutputUnavailable(f"output {ref.key!r} in {self.store!r}: {exc}") from None
        self.counters["reads"] += 1
        self.counters["bytes_read"] += len(data)
        self.counters["read_s"] += time.perf_counter() - t0
        return value

    def stats(self) -> dict[str, Any]:
        return {"resident_bytes": self.resident_bytes, **self.counters}
