"""The one SAM 2 engine of a worker process, built once from SAM2_CONFIG / SAM2_CHECKPOINT."""

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import torch
from django.conf import settings

from backend.masklets.jobs import HOW_TO_INSTALL, Sam2Unavailable
from sam2engine import VideoPredictor, build_predictor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineStatus:
    available: bool
    reason: str  # why not, in one sentence, when unavailable
    config: str
    device: str


class EngineLock:
    """A lock that counts how often it was taken, so that work done without it (frames
    encoded ahead, worker/prefetch.py) can tell that a click or a propagation step came."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.taken = 0

    def acquire(self, blocking: bool = True) -> bool:
        acquired = self._lock.acquire(blocking)
        if acquired:
            self.taken += 1
        return acquired

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> "EngineLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_lock = threading.Lock()
# Held while the engine computes: it serves one thread at a time (the click thread and the
# Celery task running a propagation job take turns, a click at most one frame later).
in_use = EngineLock()
_predictor: VideoPredictor | None = None
_status: EngineStatus | None = None


def engine_status() -> EngineStatus:
    load_engine()
    assert _status is not None
    return _status


def engine_status_if_loaded() -> EngineStatus | None:
    """The status without waiting: None while the model is still loading (or not yet asked
    for), so the worker can announce that SAM 2 is starting instead of going silent."""
    return _status


def load_engine() -> None:
    """Builds the predictor on first call; later calls return at once. Never raises: a
    missing or wrong checkpoint makes the engine unavailable with the reason."""
    global _predictor, _status
    with _lock:
        if _status is not None:
            return
        checkpoint = settings.SAM2_CHECKPOINT
        config = settings.SAM2_CONFIG
        if not checkpoint or checkpoint == "none":
            _status = EngineStatus(
                False, "SAM 2 is not installed (SAM2_CHECKPOINT is not set).", config, ""
            )
        elif not Path(checkpoint).is_file():
            _status = EngineStatus(
                False, f"SAM 2 checkpoint {checkpoint} does not exist.", config, ""
            )
        else:
            if settings.SAM2_CPU_THREADS:
                # Process-wide: the click thread, propagation tasks and the encoding ahead.
                torch.set_num_threads(settings.SAM2_CPU_THREADS)
            try:
                device = None if settings.SAM2_DEVICE == "auto" else settings.SAM2_DEVICE
                _predictor = build_predictor(
                    config,
                    checkpoint,
                    device=device,
                    compile_image_encoder=settings.SAM2_COMPILE,
                )
                _status = EngineStatus(True, "", config, str(_predictor.device))
            except Exception as exc:  # noqa: BLE001 -- any load failure is reported, not fatal
                logger.exception("could not load SAM 2")
                _status = EngineStatus(False, f"SAM 2 could not be loaded: {exc}", config, "")
        if _status.available:
            logger.info(
                "SAM 2 ready: config %s on %s (%d CPU threads)",
                config,
                _status.device,
                torch.get_num_threads(),
            )
        else:
            logger.warning(
                "%s Fetch weights with `python -m sam2engine.weights fetch "
                "sam2.1_hiera_tiny` and set SAM2_CHECKPOINT.",
                _status.reason,
            )


def get_predictor() -> VideoPredictor:
    load_engine()
    if _predictor is None:
        raise Sam2Unavailable(f"{engine_status().reason} {HOW_TO_INSTALL}", extra={"sam2": False})
    return _predictor
