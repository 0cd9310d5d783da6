"""GET /sam2/status/: what the workspace tells the annotator about SAM 2, in five states."""

import pytest

from backend.masklets import jobs
from backend.masklets.jobs import WorkerInfo
from tests.backend.conftest import Team, client_for


@pytest.fixture(autouse=True)
def _broker_up_for_long(monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker has been up for an hour: no workers are still re-announcing themselves."""
    monkeypatch.setattr(jobs, "_broker_uptime_s", lambda: 3600)


def _worker(name: str, **facts) -> WorkerInfo:  # type: ignore[no-untyped-def]
    return WorkerInfo(**{"queue": name, "sam2": False, "reason": "", "sessions": 0, **facts})


@pytest.mark.parametrize(
    ("workers", "state", "available", "says"),
    [
        ([], "offline", False, "No SAM 2 worker is running"),
        ([_worker("a", starting=True)], "starting", False, "starting"),
        (
            [_worker("a", reason="SAM 2 is not installed (SAM2_CHECKPOINT is not set).")],
            "not_installed",
            False,
            "Fetch weights",
        ),
        # One worker still loading beside one without weights: it will be up in a moment.
        (
            [_worker("a", starting=True), _worker("b", reason="SAM 2 is not installed.")],
            "starting",
            False,
            "starting",
        ),
        ([_worker("a", sam2=True, busy=True)], "busy", True, "propagating"),
        ([_worker("a", sam2=True, busy=True), _worker("b", sam2=True)], "ready", True, ""),
    ],
    ids=["offline", "starting", "not-installed", "starting-beats-not-installed", "busy", "ready"],
)
def test_status_names_the_state_and_says_what_it_means(
    team: Team,
    monkeypatch: pytest.MonkeyPatch,
    workers: list[WorkerInfo],
    state: str,
    available: bool,
    says: str,
):
    # given
    monkeypatch.setattr(jobs, "live_workers", lambda: workers)
    # when
    body = client_for(team.annotator).get("/api/v1/sam2/status/").json()
    # then
    assert (body["state"], body["available"]) == (state, available)
    assert says in body["message"]


def test_right_after_a_broker_restart_sam2_is_starting_not_missing(
    team: Team, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(jobs, "live_workers", lambda: [])
    monkeypatch.setattr(jobs, "_broker_uptime_s", lambda: 1)
    body = client_for(team.annotator).get("/api/v1/sam2/status/").json()
    assert (body["state"], body["available"]) == ("starting", False)
    assert "reconnecting" in body["message"]


def test_a_click_while_sam2_starts_is_a_503_that_says_so(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(jobs, "live_workers", lambda: [_worker("a", starting=True)])
    monkeypatch.setitem(jobs.app.conf, "task_always_eager", False)
    with pytest.raises(jobs.Sam2Unavailable, match="starting"):
        jobs.require_sam2()


def test_old_announcements_without_the_new_fields_still_parse():
    info = jobs._worker_info(b'{"queue": "q", "sam2": true, "reason": "", "sessions": 2}')
    assert (info.sam2, info.starting, info.busy, info.sessions) == (True, False, False, 2)
