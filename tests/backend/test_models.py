"""Constraints live in the database: writes that bypass the services still cannot break them."""

import pytest
from django.db import IntegrityError, transaction

from backend.events.models import Event
from backend.masklets.models import MaskletFrame, Prompt
from backend.projects.models import Membership
from tests.backend.conftest import Team

RLE = {"size": [48, 64], "counts": "0"}


def _violates(create) -> bool:  # type: ignore[no-untyped-def]
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_masklet_frame_is_unique_per_masklet_and_frame(team: Team):
    make = lambda: MaskletFrame.objects.create(  # noqa: E731
        masklet=team.masklet, frame_index=3, rle=RLE, area=0, bbox=[0, 0, 0, 0], origin="edited"
    )
    make()
    assert _violates(make)


@pytest.mark.parametrize(("field", "value"), [("origin", "guessed"), ("frame_index", -1)])
def test_masklet_frame_rejects_invalid_values(team: Team, field: str, value):  # type: ignore[no-untyped-def]
    values = {
        "masklet": team.masklet,
        "frame_index": 0,
        "rle": RLE,
        "area": 0,
        "bbox": [0, 0, 0, 0],
        "origin": "edited",
        field: value,
    }
    assert _violates(lambda: MaskletFrame.objects.create(**values))


def test_membership_role_must_be_known(team: Team):
    assert _violates(lambda: Membership.objects.filter(user=team.reviewer).update(role="boss"))


def test_masklet_status_must_be_known(team: Team):
    assert _violates(
        lambda: type(team.masklet).objects.filter(pk=team.masklet.pk).update(status="approved-ish")
    )


def test_prompt_frame_index_must_be_non_negative(team: Team):
    assert _violates(
        lambda: Prompt.objects.create(
            masklet=team.masklet, frame_index=-2, points=[[0.1, 0.1, 1]], order=1
        )
    )


def test_event_log_is_append_only(team: Team):
    event = Event.objects.create(project=team.project, kind="test.happened")
    event.kind = "test.rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
