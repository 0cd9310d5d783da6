"""The sequencer: events get their log positions once committed, in id order, without gaps,
and the listeners of their project and video are woken with the last position."""

import pytest

from backend.events import services, wakeups
from backend.events.models import Event, EventSequence
from tests.backend.factories import ProjectFactory, make_ready_video


@pytest.fixture
def woken(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(wakeups, "wake", lambda group, last: calls.append((group, last)))
    return calls


def _unsequenced(project, video=None, n=1) -> list[int]:  # type: ignore[no-untyped-def]
    """Events as committed transactions leave them for the sequencer (no position yet)."""
    return [
        Event.objects.create(
            project=project, video=video, kind="task.deleted", payload={"task": i}
        ).pk
        for i in range(n)
    ]


def _positions(ids: list[int]) -> list[int | None]:
    by_id = dict(Event.objects.filter(pk__in=ids).values_list("pk", "seq"))
    return [by_id[pk] for pk in ids]


@pytest.mark.django_db
def test_events_of_several_projects_get_the_next_positions_in_id_order(
    woken, django_capture_on_commit_callbacks
):
    first, second = ProjectFactory(), ProjectFactory()
    video = make_ready_video(second)
    already = services.events_sequence()
    ids = _unsequenced(first, n=2) + _unsequenced(second, video) + _unsequenced(first)
    with django_capture_on_commit_callbacks(execute=True):
        last = services.events_sequence()
    assert _positions(ids) == [already + 1, already + 2, already + 3, already + 4]
    assert last == EventSequence.objects.get().last == already + 4
    assert sorted(woken) == sorted(
        (group, already + 4)
        for group in (
            services.project_group(first.pk),
            services.project_group(second.pk),
            services.video_group(second.pk, video.pk),
        )
    )


@pytest.mark.django_db
def test_a_backlog_longer_than_a_batch_is_positioned_in_several(monkeypatch, woken):
    monkeypatch.setattr(services, "SEQUENCE_BATCH", 2)
    project = ProjectFactory()
    already = services.events_sequence()
    ids = _unsequenced(project, n=5)
    assert services.events_sequence() == already + 5
    assert _positions(ids) == list(range(already + 1, already + 6))


@pytest.mark.django_db
def test_nothing_pending_changes_nothing_and_wakes_nobody(
    woken, django_capture_on_commit_callbacks
):
    ids = _unsequenced(ProjectFactory(), n=2)
    last = services.events_sequence()
    woken.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.events_sequence() == last
    assert woken == []
    assert _positions(ids) == [last - 1, last]


@pytest.mark.django_db
def test_a_missing_counter_row_is_made_again_from_the_log(woken):
    project = ProjectFactory()
    _unsequenced(project, n=2)
    last = services.events_sequence()
    EventSequence.objects.all().delete()  # a flushed database
    ids = _unsequenced(project)
    assert services.events_sequence() == last + 1
    assert _positions(ids) == [last + 1]
