"""mypy over the engine with the settings of pyproject.toml [tool.mypy] (conventions.md §7:
strict for ``sam2engine.*``)."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_engine_type_checks_strictly() -> None:
    mypy = Path(sys.executable).with_name("mypy")
    result = subprocess.run(
        [str(mypy), "sam2engine"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
