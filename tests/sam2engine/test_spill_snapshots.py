"""Exact and bounded at once: spilled outputs, session snapshots and object snapshots give
bitwise the answers of one uninterrupted session that keeps every output in RAM.

One scripted annotation session (clicks, a box, a mask prompt, forward and reverse passes,
corrections on propagated frames, clearing a frame, propagating one object, removing an
object) on the micro model and clip is the reference; every variant must reproduce every
returned mask logit and score, and the final state of every output, bit for bit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from sam2engine.build import build_model
from sam2engine.datatypes import FrameMasks
from sam2engine.inference.session import SessionError, VideoSession
from sam2engine.inference.snapshot import ObjectSnapshot, SessionSnapshot
from sam2engine.inference.store import DiskOutputStore

ROOT = Path(__file__).resolve().parents[2]
MICRO = ROOT / "tests" / "fixtures" / "sam2ref" / "micro"
VIDEO_HW = (240, 320)


def _mask() -> np.ndarray:
    m = np.zeros(VIDEO_HW, bool)
    m[100:150, 150:220] = True
    return m


Action = Callable[[VideoSession], list[FrameMasks]]

#: (what, call) in order; every call returns the FrameMasks it produced.
SCRIPT: list[tuple[str, Action]] = [
    ("click", lambda s: [s.add_prompt(0, 1, points=[[62, 58]], labels=[1])]),
    ("box", lambda s: [s.add_prompt(0, 2, box=[255, 136, 312, 200])]),
    ("propagate", lambda s: list(s.propagate())),
    ("negative click, propagated frame", lambda s: [s.add_prompt(5, 1, [[70, 60]], [0])]),
    ("mask prompt, new object", lambda s: [s.add_mask(3, 3, _mask())]),
    ("propagate", lambda s: list(s.propagate())),
    ("reverse from the end", lambda s: list(s.propagate(start_frame=11, reverse=True))),
    ("correction tracked in reverse", lambda s: [s.add_prompt(8, 2, [[280, 170]], [1])]),
    (
        "second click, same frame",
        lambda s: [s.add_prompt(8, 2, [[300, 190]], [0], clear_old=False)],
    ),
    ("clear a frame's prompts", lambda s: [s.clear_frame_prompts(5, 1)]),
    ("propagate one object", lambda s: list(s.propagate(obj_ids=[2]))),
    ("remove an object", lambda s: (s.remove_object(3), [])[1]),
    ("click on an old frame", lambda s: [s.add_prompt(1, 1, [[60, 50]], [1])]),
    ("propagate a few frames", lambda s: list(s.propagate(start_frame=1, max_frames=4))),
    ("propagate", lambda s: list(s.propagate())),
    ("reverse", lambda s: list(s.propagate(start_frame=6, reverse=True))),
]


def _frames() -> list[np.ndarray]:
    return list(np.load(MICRO / "video.npz")["frames_model_input_u8"])


def _model():
    torch.set_num_threads(1)
    return build_model(MICRO / "config.json", MICRO / "checkpoint.pt", device="cpu")


def _session(model, **options) -> VideoSession:
    return VideoSession(model, _frames(), precision="float32", video_size=VIDEO_HW, **options)


def _run(session: VideoSession, steps: list[tuple[str, Action]]) -> list[list[FrameMasks]]:
    return [call(session) for _, call in steps]


def _state(session: VideoSession) -> dict[tuple, torch.Tensor]:
    """Every stored and pending output tensor of every object, by (object, table, frame)."""
    out: dict[tuple, torch.Tensor] = {}
    for obj in session.objects:
        for name in ("cond", "non_cond", "pending_cond", "pending_non_cond"):
            for frame, ref in getattr(obj, name).items():
                value = session._bank.get(ref)
                for k, t in value.tensors().items():
                    out[(obj.obj_id, name, frame, k)] = t
        for frame, (pts, lab) in obj.points.items():
            out[(obj.obj_id, "points", frame)] = pts
            out[(obj.obj_id, "labels", frame)] = lab
    return out


def _bits(t: torch.Tensor) -> torch.Tensor:
    """Bit pattern view (NaN == NaN when the bits match)."""
    t = t.detach().cpu().contiguous()
    return t.view(torch.int16) if t.element_size() == 2 else t.view(torch.int32)


def _assert_same_results(got: list[list[FrameMasks]], want: list[list[FrameMasks]]) -> None:
    assert len(got) == len(want)
    for step, (g, w) in enumerate(zip(got, want, strict=True)):
        assert [r.frame_index for r in g] == [r.frame_index for r in w], step
        for rg, rw in zip(g, w, strict=True):
            assert rg.object_ids == rw.object_ids, (step, rg.frame_index)
            assert torch.equal(_bits(rg.mask_logits), _bits(rw.mask_logits)), (step, rg.frame_index)
            assert torch.equal(_bits(rg.object_scores), _bits(rw.object_scores)), step


def _assert_same_state(got: dict[tuple, torch.Tensor], want: dict[tuple, torch.Tensor]) -> None:
    assert got.keys() == want.keys()
    for k in want:
        assert got[k].dtype == want[k].dtype, k
        assert torch.equal(_bits(got[k]), _bits(want[k])), k


@pytest.fixture(scope="module")
def reference() -> tuple[list[list[FrameMasks]], dict[tuple, torch.Tensor]]:
    """The uninterrupted session with every output in RAM."""
    s = _session(_model(), retain_all_outputs=True)
    results = _run(s, SCRIPT)
    state = _state(s)
    assert s.stats()["writes"] == 0
    s.close()
    return results, state


def test_script_exercises_what_it_claims(reference) -> None:
    """The script really corrects propagated frames, tracks in both directions and leaves
    objects with several conditioning frames (so the comparisons below mean something)."""
    results, state = reference
    assert len(results[2]) == 12
    assert len(results[6]) == 12
    frames_with_objects = {k[:3] for k in state}
    assert (1, "cond", 1) in frames_with_objects  # the late click on frame 1
    assert (2, "cond", 8) in frames_with_objects  # the correction tracked in reverse
    assert (1, "non_cond", 5) in frames_with_objects  # the cleared correction, now tracked
    assert not any(k[0] == 3 for k in state)  # removed


@pytest.mark.parametrize("ram_outputs", [0, 3])
def test_spilled_session_equals_all_in_ram(reference, ram_outputs: int, tmp_path: Path) -> None:
    store = DiskOutputStore(tmp_path)
    s = _session(_model(), ram_outputs=ram_outputs, store=store)
    results = _run(s, SCRIPT)
    stats = s.stats()
    assert stats["writes"] > 0
    assert stats["reads"] > 0
    assert stats["resident_tracked_outputs"] <= ram_outputs * len(s.objects)
    _assert_same_results(results, reference[0])
    _assert_same_state(_state(s), reference[1])
    s.close()
    # Blobs that no snapshot refers to are deleted with the outputs; none is left.
    assert store.keys() == []


@pytest.mark.parametrize(("cut", "ram_before", "ram_after"), [(3, 32, 0), (7, 2, 32), (11, 0, 5)])
def test_restored_session_continues_bitwise(
    reference, cut: int, ram_before: int, ram_after: int, tmp_path: Path
) -> None:
    """Snapshot after ``cut`` steps, through JSON, into a new session on a new model object
    with a fresh feature cache and another RAM window: the rest is bitwise the same."""
    store = DiskOutputStore(tmp_path)
    first = _session(_model(), ram_outputs=ram_before, store=store)
    _assert_same_results(_run(first, SCRIPT[:cut]), reference[0][:cut])
    text = first.snapshot().to_json()
    first.close()  # the snapshot's outputs survive the session that made them
    snapshot = SessionSnapshot.from_json(text)
    assert snapshot.keys() <= set(store.keys())
    second = VideoSession.restore(
        _model(),
        _frames(),
        snapshot,
        DiskOutputStore(tmp_path),
        precision="float32",
        video_size=VIDEO_HW,
        ram_outputs=ram_after,
    )
    assert second.stats()["resident_outputs"] == 0  # loaded lazily
    _assert_same_results(_run(second, SCRIPT[cut:]), reference[0][cut:])
    _assert_same_state(_state(second), reference[1])
    second.close()


def test_snapshot_writes_only_new_outputs(tmp_path: Path) -> None:
    """A snapshot costs the outputs made since the previous one, not the video."""
    s = _session(_model(), store=DiskOutputStore(tmp_path))
    _run(s, SCRIPT[:3])
    s.snapshot()
    writes = s.stats()["writes"]
    assert writes == 2 * 12  # two objects, every frame (all were in RAM)
    again = s.snapshot()
    assert s.stats()["writes"] == writes  # nothing new
    s.add_prompt(5, 1, [[70, 60]], [0])
    s.snapshot()
    assert s.stats()["writes"] == writes + 1  # the one new output
    assert again == SessionSnapshot.from_json(again.to_json())
    s.close()


def test_restore_in_another_process(reference, tmp_path: Path) -> None:
    """A worker that never saw the session continues it from the snapshot and the store."""
    store = DiskOutputStore(tmp_path / "store")
    s = _session(_model(), store=store, ram_outputs=4)
    cut = 8
    _run(s, SCRIPT[:cut])
    (tmp_path / "snap.json").write_text(s.snapshot().to_json())
    s.close()
    out = tmp_path / "out.pt"
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            str(tmp_path / "snap.json"),
            str(store.folder),
            str(cut),
            str(out),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = torch.load(out, weights_only=True)
    want = reference[0][cut:]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert [f for f, _, _, _ in g] == [r.frame_index for r in w]
        for (_, ids, logits, scores), r in zip(g, w, strict=True):
            assert ids == r.object_ids
            assert torch.equal(_bits(logits), _bits(r.mask_logits))
            assert torch.equal(_bits(scores), _bits(r.object_scores))


def _child(snapshot_path: str, store_folder: str, cut: int, out: str) -> None:
    snapshot = SessionSnapshot.from_json(Path(snapshot_path).read_text())
    s = VideoSession.restore(
        _model(),
        _frames(),
        snapshot,
        DiskOutputStore(store_folder),
        precision="float32",
        video_size=VIDEO_HW,
    )
    results = _run(s, SCRIPT[cut:])
    torch.save(
        [
            [(r.frame_index, r.object_ids, r.mask_logits, r.object_scores) for r in step]
            for step in results
        ],
        out,
    )


# ---------------------------------------------------------------------------- objects
def test_object_restore_undoes_its_last_click(tmp_path: Path) -> None:
    """Click A, propagate, click B, click A again, restore A's snapshot from before that
    click: A equals a session that never got it (bitwise, also when tracking goes on), B is
    untouched."""
    model = _model()
    x = _session(model, store=DiskOutputStore(tmp_path), ram_outputs=2)
    y = _session(model, ram_outputs=2)
    for s in (x, y):
        s.add_prompt(0, "A", points=[[62, 58]], labels=[1])
        list(s.propagate())
        s.add_prompt(0, "B", box=[255, 136, 312, 200])
    a_before = x.object_snapshot("A")
    b_before = x.object_snapshot("B")
    x.add_prompt(6, "A", points=[[112, 80]], labels=[1])  # the click to undo
    assert x.object_snapshot("A") != a_before
    x.restore_object("A", a_before)
    assert x.object_snapshot("A") == a_before
    assert x.object_snapshot("B") == b_before
    assert x.object_ids == y.object_ids == ["A", "B"]
    _assert_same_state(_state(x), _state(y))
    _assert_same_results(
        [list(x.propagate()), [x.add_prompt(4, "A", [[60, 60]], [0])]],
        [list(y.propagate()), [y.add_prompt(4, "A", [[60, 60]], [0])]],
    )
    _assert_same_state(_state(x), _state(y))
    x.close()
    y.close()


def test_removed_object_is_recreated_from_its_snapshot(tmp_path: Path) -> None:
    s = _session(_model(), store=DiskOutputStore(tmp_path), ram_outputs=1)
    s.add_prompt(0, 1, points=[[62, 58]], labels=[1])
    s.add_prompt(0, 2, box=[255, 136, 312, 200])
    list(s.propagate())
    snap = s.object_snapshot(1)
    masks_before = s.add_prompt(3, 2, [[280, 170]], [1]).mask_logits[0].clone()
    s.remove_object(1)
    s.restore_object(1, snap)
    assert s.object_ids == [2, 1]  # re-created at the end
    assert s.object_snapshot(1) == snap
    fm = s.add_prompt(3, 2, [[280, 170]], [1], clear_old=True)
    assert torch.equal(fm.mask_logits[1], masks_before)
    s.close()


# ---------------------------------------------------------------------------- subsets
def test_propagating_a_subset_leaves_the_others_untouched(tmp_path: Path) -> None:
    model = _model()
    s = _session(model, store=DiskOutputStore(tmp_path))
    s.add_prompt(0, "A", points=[[62, 58]], labels=[1])
    s.add_prompt(2, "B", box=[255, 136, 312, 200])
    b_before = s.object_snapshot("B")
    results = list(s.propagate(obj_ids=["A"]))
    assert [r.object_ids for r in results] == [["A"]] * 12
    assert s.object_snapshot("B") == b_before  # still pending, never tracked
    assert s.objects[1].pending_cond
    assert not s.objects[1].tracked
    # B tracked on its own afterwards equals B in a session that only ever had B.
    alone = _session(model)
    alone.add_prompt(2, "B", box=[255, 136, 312, 200])
    _assert_same_results([list(s.propagate(obj_ids=["B"]))], [list(alone.propagate())])
    with pytest.raises(SessionError, match="unknown object id 'C'"):
        next(s.propagate(obj_ids=["C"]))
    with pytest.raises(SessionError, match="list of object ids"):
        next(s.propagate(obj_ids="A"))
    s.close()
    alone.close()


# ---------------------------------------------------------------------------- refusals
def test_missing_or_corrupt_blob_is_a_clear_error(tmp_path: Path) -> None:
    store = DiskOutputStore(tmp_path)
    s = _session(_model(), store=store, ram_outputs=0)
    s.add_prompt(0, 1, points=[[62, 58]], labels=[1])
    list(s.propagate())
    snap = s.snapshot()
    s.close()
    obj = snap.objects[0]
    frame5 = dict(obj.non_cond)[5]
    frame6 = dict(obj.non_cond)[6]
    store.delete(frame5)
    path6 = tmp_path / f"{frame6}.s2o"
    data = bytearray(path6.read_bytes())
    data[-100] ^= 0x01
    path6.write_bytes(bytes(data))

    r = VideoSession.restore(_model(), _frames(), snap, store, video_size=VIDEO_HW)
    points_before = dict(r.objects[0].points)
    with pytest.raises(SessionError, match=f"output '{frame5}' is missing from the output store"):
        r.add_prompt(5, 1, points=[[70, 60]], labels=[0])
    # Nothing half-written: the failed click left no trace.
    assert r.objects[0].points.keys() == points_before.keys()
    assert not r.objects[0].pending_cond
    with pytest.raises(SessionError, match=f"output '{frame6}'.*checksum mismatch"):
        r.frame_output(1, 6)
    with pytest.raises(SessionError, match=f"output '{frame5}' is missing"):
        list(r.propagate(start_frame=7, max_frames=1))
    r.close()


def test_restore_refuses_another_model_or_video(tmp_path: Path) -> None:
    import dataclasses

    from sam2engine.config import ModelConfig
    from sam2engine.modeling.sam2 import SAM2Model

    store = DiskOutputStore(tmp_path)
    model = _model()
    s = _session(model, store=store)
    s.add_prompt(0, 1, points=[[62, 58]], labels=[1])
    snap = s.snapshot()
    obj_snap = s.object_snapshot(1)

    other_cfg = dataclasses.replace(ModelConfig.from_json(MICRO / "config.json"), image_size=128)
    with pytest.raises(SessionError, match="model config .* cannot be restored"):
        VideoSession.restore(SAM2Model(other_cfg).eval(), _frames(), snap, store)
    other_weights = _model()
    with torch.no_grad():
        other_weights.no_mem_embed.add_(1e-3)
    with pytest.raises(SessionError, match="other weights"):
        VideoSession.restore(other_weights, _frames(), snap, store, video_size=VIDEO_HW)
    with pytest.raises(SessionError, match="video with 12 frames, this one has 5"):
        VideoSession.restore(model, _frames()[:5], snap, store, video_size=VIDEO_HW)
    with pytest.raises(SessionError, match="240x320 video, these frames are 256x256"):
        VideoSession.restore(model, _frames(), snap, store)
    short = _session(model)
    with pytest.raises(SessionError, match="12 frames, this one has"):
        VideoSession(model, _frames()[:4], video_size=VIDEO_HW).restore_object(1, obj_snap)

    raw = json.loads(snap.to_json())
    raw["version"] = 99
    with pytest.raises(SessionError, match="format version 99"):
        SessionSnapshot.from_json(json.dumps(raw))
    with pytest.raises(SessionError, match="not JSON"):
        SessionSnapshot.from_json("{oops")
    with pytest.raises(SessionError, match="not a sam2engine.object manifest"):
        ObjectSnapshot.from_json(snap.to_json())
    raw = json.loads(obj_snap.to_json())
    raw["cond"] = [[0, "../../etc/passwd"]]
    with pytest.raises(SessionError, match="bad output key"):
        ObjectSnapshot.from_json(json.dumps(raw))
    raw = json.loads(obj_snap.to_json())
    raw["cond"] = [[40, raw["cond"][0][1]]] if raw["cond"] else [[40, "k"]]
    with pytest.raises(SessionError, match="frame 40 out of range"):
        s.restore_object(1, ObjectSnapshot.from_json(json.dumps(raw)))
    s.close()
    short.close()


def test_points_round_trip_exactly(tmp_path: Path) -> None:
    """float32 model-space clicks survive JSON bit for bit (odd fractions included)."""
    s = _session(_model(), store=DiskOutputStore(tmp_path))
    s.add_prompt(0, 1, points=[[62.123456, 58.98765], [1 / 3, 239.99]], labels=[1, 0])
    snap = ObjectSnapshot.from_json(s.object_snapshot(1).to_json())
    pts, lab = s.objects[0].points[0]
    s.restore_object(1, snap)
    pts2, lab2 = s.objects[0].points[0]
    assert torch.equal(_bits(pts2), _bits(pts))
    assert torch.equal(lab2, lab)
    assert lab2.dtype == torch.int32
    s.close()


if __name__ == "__main__":  # the other process of test_restore_in_another_process
    _child(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
