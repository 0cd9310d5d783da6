"""Output blobs (bit-exact round trip, corruption refused) and the disk store."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from sam2engine.config import ModelConfig
from sam2engine.inference.outputs import (
    FrameOutput,
    OutputBank,
    OutputUnavailable,
    decode_output,
    encode_output,
    output_layout,
)
from sam2engine.inference.store import DiskOutputStore, OutputStore, PrivateDiskStore

CFG = ModelConfig.preset("micro")
LAYOUT = output_layout(CFG)


def _output(seed: int = 0, with_memory: bool = True) -> FrameOutput:
    g = torch.Generator().manual_seed(seed)
    low = torch.randn(1, 1, 64, 64, generator=g) * 30
    low[0, 0, 0, :4] = torch.tensor([float("nan"), float("inf"), -float("inf"), -0.0])
    mem = (torch.randn(1, CFG.mem_dim, 16, 16, generator=g) * 5).to(torch.bfloat16)
    return FrameOutput(
        low_res_logits=low,
        obj_ptr=torch.randn(1, CFG.hidden_dim, generator=g),
        object_score=torch.tensor([[3.25]]),
        all_ious=torch.rand(1, 4, generator=g),
        maskmem=mem if with_memory else None,
        holes_filled=7,
    )


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    view = torch.int16 if a.element_size() == 2 else torch.int32
    return a.dtype == b.dtype and torch.equal(a.view(view), b.view(view))


@pytest.mark.parametrize("with_memory", [True, False])
def test_blob_round_trip_is_bit_identical(with_memory: bool) -> None:
    out = _output(with_memory=with_memory)
    back = decode_output(encode_output(out), LAYOUT)
    assert back.holes_filled == 7
    assert back.tensors().keys() == out.tensors().keys()
    for k, t in out.tensors().items():
        assert _same_bits(back.tensors()[k], t), k
    assert (back.maskmem is None) == (not with_memory)


def test_corrupt_blobs_are_refused_with_the_reason() -> None:
    blob = encode_output(_output())
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0x10
    with pytest.raises(ValueError, match="checksum mismatch"):
        decode_output(bytes(flipped), LAYOUT)
    with pytest.raises(ValueError, match="checksum mismatch"):
        decode_output(blob[:-10], LAYOUT)
    with pytest.raises(ValueError, match="bad magic"):
        decode_output(b"PK\x03\x04" + blob[4:], LAYOUT)
    with pytest.raises(ValueError, match="bad magic"):
        decode_output(b"", LAYOUT)
    other = output_layout(dataclasses.replace(CFG, image_size=128))
    with pytest.raises(ValueError, match="low_res_logits is .* this model needs"):
        decode_output(blob, other)


def test_disk_store(tmp_path: Path) -> None:
    store = DiskOutputStore(tmp_path / "s")
    assert isinstance(store, OutputStore)
    assert store.keys() == []
    assert store.total_bytes() == 0
    store.put("a-1", b"xyz")
    store.put("b_2", b"12345")
    assert store.get("a-1") == b"xyz"
    assert store.keys() == ["a-1", "b_2"]
    assert store.total_bytes() == 8
    assert [p.name for p in (tmp_path / "s").iterdir() if p.name.startswith(".")] == []
    store.delete("a-1")
    store.delete("a-1")  # absent: nothing happens
    with pytest.raises(KeyError):
        store.get("a-1")
    for bad in ("", "../x", "a/b", ".hidden", "x" * 129, "sp ace"):
        with pytest.raises(ValueError, match="bad output key"):
            store.put(bad, b"")


def test_private_store_is_removed() -> None:
    store = PrivateDiskStore()
    store.put("k", b"v")
    assert store.folder.is_dir()
    store.remove()
    assert not store.folder.exists()


def test_bank_spills_least_recently_used_and_reads_back(tmp_path: Path) -> None:
    from collections import OrderedDict

    bank = OutputBank(CFG, torch.device("cpu"), DiskOutputStore(tmp_path), window=2)
    window: OrderedDict = OrderedDict()
    refs = []
    for i in range(4):
        ref = bank.create(_output(i))
        bank.place(ref, window)
        refs.append(ref)
    assert [r.value is not None for r in refs] == [False, False, True, True]
    assert bank.counters["writes"] == 2
    bank.get(refs[2])  # touch: refs[3] is now the least recently used
    back = bank.get(refs[0])  # read back; evicts refs[3]
    assert _same_bits(back.maskmem, _output(0).maskmem)  # type: ignore[arg-type]
    assert [r.value is not None for r in refs] == [True, False, True, False]
    assert bank.counters["writes"] == 3
    assert bank.counters["reads"] == 1
    pinned = bank.create(_output(9))  # pinned outputs are never spilled
    for ref in refs:
        bank.get(ref)
    assert pinned.value is not None
    bank.drop(refs[1])  # written, in no snapshot: the blob goes
    stored = DiskOutputStore(tmp_path).keys()
    assert refs[1].key not in stored
    bank.persist(refs[0])
    bank.drop(refs[0])  # in a snapshot: the blob stays
    stored = DiskOutputStore(tmp_path).keys()
    assert refs[0].key in stored
    ghost = bank.adopt("nope", None)
    with pytest.raises(OutputUnavailable, match="output 'nope' is missing"):
        bank.get(ghost)
