"""Schemathesis (`--checks all`) against /api/schema/ of a live web server, authenticated as the
manager of a seeded project so that generated requests reach real objects: no 5xx, and every
response as the schema says (statuses, content types, bodies, headers).

A small example budget keeps it to a few minutes on two cores; SCHEMATHESIS_MAX_EXAMPLES raises
it for a deeper run, SCHEMATHESIS_SEED changes the examples."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backend.masklets.models import MaskletFrame, Prompt
from backend.reviews.models import ReviewComment
from tests.backend.conftest import Team
from tests.backend.reviews.helpers import add_frame, force_assignment
from tests.backend.security.conftest import token_header

pytestmark = pytest.mark.slow

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261202")

CONFIG = """
# The manager's token, as the schema's tokenAuth scheme (so that the missing- and invalid-
# credentials checks know which credentials to take away).
[auth.openapi.tokenAuth]
api_key = "{token}"

# Input the schema allows can still be refused by a rule the schema cannot state (a frame
# index past this video's last frame, a username nobody has, a stale version, a file that is
# not a video); the API answers those with 400, 409 or 422, documented for each operation.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "503"]

# No SAM 2 worker runs here: the operations that need one answer their documented 503.
[[operations]]
include-path = [
    "/api/v1/masklets/{{masklet_id}}/prompts/add/",
    "/api/v1/videos/{{video_id}}/propagations/create/",
    "/api/v1/videos/{{video_id}}/automask/create/",
]
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]

"""


def _seed(team: Team) -> dict[str, int]:
    """Ids the generated requests use for their path parameters."""
    add_frame(team, team.masklet)
    prompt = Prompt.objects.create(
        masklet=team.masklet, frame_index=0, order=1, points=[[0.5, 0.5, 1]]
    )
    comment = ReviewComment.objects.create(
        masklet=team.masklet, author=team.reviewer, frame_index=0, text="edge"
    )
    assignment = force_assignment(team.masklet, team.reviewer)
    return {
        "project_id": team.project.pk,
        "video_id": team.video.pk,
        "masklet_id": team.masklet.pk,
        "prompt_id": prompt.pk,
        "membership_id": team.project.memberships.get(user=team.reviewer).pk,
        "label_id": team.label.pk,
        "task_id": team.task.pk,
        "assignment_id": assignment.pk,
        "comment_id": comment.pk,
        "frame_index": 0,
        "chunk_index": 0,
        "job_id": 1,
    }


def test_api_matches_its_schema_under_schemathesis(web_server, team: Team, tmp_path: Path):
    # given: a live server and a project the caller manages
    ids = _seed(team)
    assert MaskletFrame.objects.exists()
    server = web_server()
    _name, auth_value = (v.decode() for v in token_header(team.manager))
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(token=auth_value)
        + "[parameters]\n"
        + "".join(f'"path.{name}" = {value}\n' for name, value in ids.items())
    )
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    # when
    result = subprocess.run(
        [
            st,
            "--config-file",
            str(config),
            "run",
            f"{server.url}/api/schema/",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            SEED,
            "--workers",
            "1",
            "--request-timeout",
            "120",
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    # then
    output = tmp_path / "schemathesis.txt"
    output.write_text(result.stdout + result.stderr)
    print(result.stdout[-3000:])
    assert result.returncode == 0, (
        f"{result.stdout[-20000:]}{result.stderr[-3000:]}\n(all: {output})"
    )
