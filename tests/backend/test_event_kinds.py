"""The event vocabulary: every kind has a payload type, and event_record holds to it."""

import pytest

from backend.events.kinds import PAYLOADS, EventKind
from backend.events.services import event_record


def test_every_event_kind_has_a_payload_type():
    assert set(PAYLOADS) == set(EventKind)


@pytest.mark.parametrize(
    ("kind", "payload", "problem"),
    [
        (EventKind.MASKLET_DELETED, {}, "missing masklet"),
        (EventKind.MASKLET_DELETED, {"masklet": 1, "oops": 2}, "unknown oops"),
        ("masklet.vanished", {"masklet": 1}, "is not a valid EventKind"),
    ],
)
def test_a_payload_that_does_not_fit_its_kind_is_refused(team, kind, payload, problem):
    with pytest.raises(ValueError, match=problem):
        event_record(project_id=team.project.pk, kind=kind, payload=payload)


def test_optional_keys_may_be_left_out(team):
    event = event_record(
        project_id=team.project.pk, kind=EventKind.LABEL_UPDATED, payload={"label": 3}
    )
    assert event.payload == {"label": 3}
