"""`make run` (backend/run.py) as a person uses it: the banner comes last and says where the
logs are, and Ctrl-C stops every process quietly. Starts the real thing on its own VAR_DIR and
ports (embedded SQLite and broker, the micro SAM 2 model of the fixtures)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

REPO = Path(__file__).resolve().parents[1]
MICRO = FIXTURES / "sam2ref" / "micro"
BANNER_END = "Ctrl-C stops the web server, the workers and the broker."
# Generous: a busy machine migrates, seeds and loads SAM 2 slowly; the target is 5 s.
START_TIMEOUT_S = 400
STOP_UPPER_BOUND_S = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
@pytest.mark.e2e
def test_run_prints_the_banner_last_and_ctrl_c_stops_everything_quietly(tmp_path):
    # given: the platform as `make run` starts it, on a fresh VAR_DIR
    port, broker_port = _free_port(), _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith(("MEDIA_ROOT", "STATIC_ROOT", "TEST_"))
    }
    env |= {
        "VAR_DIR": str(tmp_path),
        "RUN_PORT": str(port),
        "EMBEDDED_BROKER_PORT": str(broker_port),
        "SAM2_CONFIG": str(MICRO / "config.json"),
        "SAM2_CHECKPOINT": str(MICRO / "checkpoint.pt"),
        "PYTHONUNBUFFERED": "1",
    }
    output = tmp_path / "console.txt"
    with output.open("wb") as console:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "backend" / "run.py")],
            cwd=REPO,
            env=env,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, as a terminal's foreground job
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while BANNER_END not in output.read_text() and process.poll() is None:
                assert time.monotonic() < deadline, output.read_text()[-3000:]
                time.sleep(0.5)
            started = output.read_text()
            assert process.poll() is None, started[-3000:]

            # then: the banner is the last thing on the console and says where the logs are
            assert started.rstrip().endswith("=" * 72), started[-1500:]
            log_dir = tmp_path / "log"
            for name in ("web", "worker", "worker-sam2", "broker"):
                assert str(log_dir / f"{name}.log") in started
                assert (log_dir / f"{name}.log").is_file()
            assert " ready." in (log_dir / "worker-sam2.log").read_text()
            assert "Traceback" not in started

            # when: Ctrl-C in the terminal (SIGINT to the foreground process group)
            t0 = time.monotonic()
            os.killpg(process.pid, signal.SIGINT)
            code = process.wait(timeout=STOP_UPPER_BOUND_S * 2)
            stop_s = time.monotonic() - t0
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    text = output.read_text()
    # then: quiet, complete and prompt
    print(f"Ctrl-C to exit: {stop_s:.1f} s")
    assert code == 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    assert text.rstrip().endswith("s."), text[-500:]
    assert not _listening(port)
    assert not _listening(broker_port)
    assert stop_s < STOP_UPPER_BOUND_S
