"""Comparison of engine values with the official reference values, for :mod:`sam2engine.parity`.

The tolerances (documented in :mod:`sam2engine.parity`), :class:`Case` (the metrics and
failures of one replayed case, one JSON line) and the checks every kind of case uses:
features relative to their range, absolute differences, binary masks away from the decision
boundary, bfloat16 memories within one bfloat16 step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

FEATURE_REL_TOL = 1e-4
LOGIT_TOL = 1e-3
SCORE_TOL = 1e-3
MASK_NEAR_ZERO = 1e-3


@dataclass
class Case:
    """Comparison results of one replayed case."""

    name: str
    kind: str
    metrics: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def worst(self, key: str, value: float) -> None:
        value = float(value)
        if math.isnan(value):
            self.metrics[key] = "nan"
            return
        prev = self.metrics.get(key)
        self.metrics[key] = value if not isinstance(prev, float) else max(prev, value)

    def add(self, key: str, value: int) -> None:
        self.metrics[key] = int(self.metrics.get(key, 0)) + int(value)

    def fail(self, msg: str) -> None:
        self.failures.append(msg)

    def line(self) -> dict[str, Any]:
        return {
            "case": self.name,
            "kind": self.kind,
            "ok": not self.failures,
            **self.metrics,
            **({"failures": self.failures[:10]} if self.failures else {}),
        }


def as_np(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().float().cpu().numpy()
    return np.asarray(t)


def maxdiff(a: Any, b: Any) -> float:
    a, b = as_np(a).astype(np.float64), as_np(b).astype(np.float64)
    if a.shape != b.shape:
        if a.size == b.size:
            a = a.reshape(b.shape)
        else:
            return float("inf")
    if a.size == 0:
        return 0.0
    # A NaN on either side (but not both) is a difference, never a pass.
    if np.any(np.isnan(a) != np.isnan(b)):
        return float("inf")
    d = np.abs(a - b)
    return float(np.nanmax(d)) if not np.all(np.isnan(d)) else 0.0


def check_feature(
    case: Case, key: str, ours: Any, ref: np.ndarray, rng: float | None = None
) -> float:
    rng = float(np.nanmax(ref) - np.nanmin(ref)) if rng is None else rng
    rel = maxdiff(ours, ref) / max(rng, 1e-12)
    case.worst(f"{key}_rel_diff", rel)
    if not rel <= FEATURE_REL_TOL:
        case.fail(f"{key}: max diff {rel:.3g} of range > {FEATURE_REL_TOL}")
    return rel


def check_abs(case: Case, key: str, ours: Any, ref: np.ndarray, tol: float) -> float:
    d = maxdiff(ours, ref)
    case.worst(key, d)
    if not d <= tol:
        case.fail(f"{key}: {d:.3g} > {tol}")
    return d


def check_masks(
    case: Case,
    ours: np.ndarray,
    ref: np.ndarray,
    ref_logits: np.ndarray | None,
    our_logits: np.ndarray | None = None,
    logit_slack: float = 0.0,
) -> int:
    """Count mismatching mask pixels outside the near-zero band; returns that count."""
    ours, ref = np.asarray(ours, dtype=bool), np.asarray(ref, dtype=bool)
    ours = ours.reshape(ref.shape)
    diff = ours != ref
    if ref_logits is not None:
        near = np.abs(ref_logits.reshape(ref.shape)) <= MASK_NEAR_ZERO
    elif (
        our_logits is not None
    ):  # reference logits not stored: use ours, widened by the logit error
        near = np.abs(our_logits.reshape(ref.shape)) <= MASK_NEAR_ZERO + logit_slack
    else:
        near = np.zeros_like(diff)
    bad = int(np.sum(diff & ~near))
    case.add("mask_mismatch_pixels", bad)
    case.add("mask_near_zero_flips", int(np.sum(diff & near)))
    if bad:
        case.fail(f"{bad} mask pixels differ away from the decision boundary")
    return bad


def _bf16_step(x: np.ndarray) -> np.ndarray:
    mag = np.maximum(np.abs(x), np.finfo(np.float32).tiny)
    step: np.ndarray = np.exp2(np.floor(np.log2(mag)) - 7)
    return step


def check_bf16(case: Case, key: str, ours: Any, ref: np.ndarray, rng: float) -> None:
    o = as_np(ours).reshape(ref.shape).astype(np.float64)
    r = ref.astype(np.float64)
    if np.any(np.isnan(o) != np.isnan(r)):
        case.fail(f"{key}: NaN where the reference has a value (or vice versa)")
        return
    excess = np.abs(o - r) - (_bf16_step(r) + FEATURE_REL_TOL * rng)
    worst = float(np.nanmax(excess)) if excess.size and not np.all(np.isnan(excess)) else -1.0
    case.worst(f"{key}_excess_over_bf16_tol", max(worst, 0.0))
    case.add(f"{key}_bf16_step_diffs", int(np.sum(o != r)))
    if worst > 0:
        case.fail(f"{key}: exceeds one bfloat16 step + {FEATURE_REL_TOL} of range by {worst:.3g}")
