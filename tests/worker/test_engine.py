"""How a SAM 2 worker builds its engine: the CPU threads it is given; worker settings out of
range."""

import os
import subprocess
import sys
import threading

import pytest
import torch

from backend.config import env
from worker import engine


def test_the_engine_uses_the_cpu_threads_it_is_given(monkeypatch: pytest.MonkeyPatch, settings):
    before = torch.get_num_threads()
    wanted = before + 1  # differs from whatever torch chose on this machine
    monkeypatch.setattr(engine, "_status", None)
    monkeypatch.setattr(engine, "_predictor", None)
    settings.SAM2_CPU_THREADS = wanted
    try:
        engine.load_engine()  # the micro model of the fixtures
        assert engine.engine_status().available
        seen: list[int] = []
        # The click thread, propagation tasks and the encoding ahead run in other threads.
        other = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        other.start()
        other.join()
        assert (torch.get_num_threads(), seen) == (wanted, [wanted])
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("SAM2_CPU_THREADS", "-2", "SAM2_CPU_THREADS must be 0 (one per core) or more, not -2"),
        ("WORKER_NICE", "25", "WORKER_NICE must be between 0 and 19, not 25"),
    ],
)
def test_a_worker_setting_out_of_range_stops_the_process_with_the_reason(name, value, reason):
    result = subprocess.run(
        [sys.executable, "-c", "import backend.config.env"],
        env={**os.environ, name: value, "PYTHONPATH": str(env.REPO_DIR)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert reason in result.stderr
