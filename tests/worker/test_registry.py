"""What a SAM 2 worker announces while its model loads, when ready, and while propagating."""

import pytest

from worker import engine, registry


def test_a_worker_loading_its_model_announces_that_it_is_starting(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(engine, "_status", None)  # load_engine() has not finished
    info = registry.announcement("sam2-test")
    assert (info["sam2"], info["starting"], info["busy"]) == (False, True, False)


def test_a_loaded_worker_is_ready_and_busy_while_it_propagates(monkeypatch: pytest.MonkeyPatch):
    engine.load_engine()  # the micro model of the fixtures
    info = registry.announcement("sam2-test")
    assert (info["sam2"], info["starting"], info["busy"]) == (True, False, False)
    monkeypatch.setitem(registry._activity, "now", "propagating video 3 (frame 12)")
    assert registry.announcement("sam2-test")["busy"] is True


def test_a_worker_without_weights_says_why(monkeypatch: pytest.MonkeyPatch):
    unavailable = engine.EngineStatus(False, "SAM 2 is not installed.", "tiny", "")
    monkeypatch.setattr(engine, "_status", unavailable)
    info = registry.announcement("sam2-test")
    assert (info["sam2"], info["starting"], info["reason"]) == (
        False,
        False,
        "SAM 2 is not installed.",
    )
