import pytest

from backend.events.models import Event
from backend.masklets.models import Masklet
from backend.projects.enums import Role
from backend.projects.models import Task
from backend.quality.enums import ScoreKind
from backend.quality.models import VideoScoreCache
from tests.backend.conftest import client_for
from tests.backend.factories import (
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
    make_ready_video,
)
from tests.backend.quality.conftest import add_masklet, square


@pytest.fixture
def consensus(team):
    """team's project in consensus mode (k = 2) with a third annotator and a fresh video."""
    team.project.consensus_k = 2
    team.project.save()
    team.third = MembershipFactory(
        project=team.project, role=Role.ANNOTATOR, user=UserFactory(username="third")
    ).user
    team.cvideo = make_ready_video(team.project, frames=3)
    return team


def _assign(team, user, body):
    return client_for(user).post(
        f"/api/v1/projects/{team.project.pk}/consensus/assign/", body, format="json"
    )


# ---- assign -------------------------------------------------------------------------------------


def test_assign_creates_k_tasks_for_the_given_annotators(consensus):
    team = consensus
    response = _assign(
        team,
        team.manager,
        {"video": team.cvideo.pk, "annotators": [team.third.pk, team.annotator.pk]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert sorted(t["assignee"]["id"] for t in body) == sorted([team.third.pk, team.annotator.pk])
    assert {t["video"] for t in body} == {team.cvideo.pk}
    assert Task.objects.filter(video=team.cvideo).count() == 2
    assert Event.objects.filter(kind="consensus.assigned", video=team.cvideo).exists()


def test_assign_picks_the_least_loaded_annotators(consensus):
    team = consensus
    # annotator already has team.task; other_annotator gets one more; third has none.
    Task.objects.create(project=team.project, video=team.video, assignee=team.other_annotator)
    Task.objects.create(project=team.project, video=team.video, assignee=team.other_annotator)
    response = _assign(team, team.manager, {"video": team.cvideo.pk})
    assert response.status_code == 201, response.json()
    assert sorted(t["assignee"]["username"] for t in response.json()) == ["annotator", "third"]


def test_assign_keeps_existing_assignees_and_is_repeatable(consensus):
    team = consensus
    first = _assign(team, team.manager, {"video": team.cvideo.pk})
    again = _assign(team, team.manager, {"video": team.cvideo.pk})
    assert again.status_code == 201
    assert [t["id"] for t in again.json()] == [t["id"] for t in first.json()]
    assert Task.objects.filter(video=team.cvideo).count() == 2


def test_assign_refuses_to_drop_an_existing_assignee(consensus):
    team = consensus
    Task.objects.create(project=team.project, video=team.cvideo, assignee=team.annotator)
    response = _assign(
        team,
        team.manager,
        {"video": team.cvideo.pk, "annotators": [team.third.pk, team.other_annotator.pk]},
    )
    assert response.status_code == 400
    assert response.json()["extra"]["assignees"] == [team.annotator.pk]
    keep = _assign(
        team,
        team.manager,
        {"video": team.cvideo.pk, "annotators": [team.third.pk, team.annotator.pk]},
    )
    assert keep.status_code == 201
    assert Task.objects.filter(video=team.cvideo).count() == 2


def test_assign_with_the_wrong_number_of_annotators_is_400(consensus):
    team = consensus
    response = _assign(team, team.manager, {"video": team.cvideo.pk, "annotators": [team.third.pk]})
    assert response.status_code == 400
    assert "2 annotators" in response.json()["message"]
    assert response.json()["extra"]["consensus_k"] == 2
    assert not Task.objects.filter(video=team.cvideo).exists()


def test_assign_to_a_non_annotator_is_400(consensus):
    team = consensus
    response = _assign(
        team,
        team.manager,
        {"video": team.cvideo.pk, "annotators": [team.third.pk, team.reviewer.pk]},
    )
    assert response.status_code == 400
    assert response.json()["extra"]["not_annotators"] == [team.reviewer.pk]
    duplicate = _assign(
        team, team.manager, {"video": team.cvideo.pk, "annotators": [team.third.pk, team.third.pk]}
    )
    assert duplicate.status_code == 400


def test_assign_outside_consensus_mode_is_400(team):
    response = _assign(team, team.manager, {"video": team.video.pk})
    assert response.status_code == 400
    assert "consensus_k" in response.json()["message"]


def test_assign_permissions(consensus):
    team = consensus
    other_video = make_ready_video(ProjectFactory())
    assert _assign(team, team.annotator, {"video": team.cvideo.pk}).status_code == 403
    assert _assign(team, team.reviewer, {"video": team.cvideo.pk}).status_code == 403
    assert _assign(team, team.outsider, {"video": team.cvideo.pk}).status_code == 404
    assert _assign(team, team.manager, {"video": other_video.pk}).status_code == 404


# ---- comparison, resolution, visibility ---------------------------------------------------------


@pytest.fixture
def labelled(consensus):
    """Two annotators labelled the consensus video: one object both found, one only annotator."""
    team = consensus
    task_a = Task.objects.create(project=team.project, video=team.cvideo, assignee=team.annotator)
    task_b = Task.objects.create(
        project=team.project, video=team.cvideo, assignee=team.other_annotator
    )
    team.a1 = add_masklet(team.cvideo, {0: square(5, 5), 1: square(5, 6)}, task=task_a)
    team.a2 = add_masklet(team.cvideo, {0: square(30, 40)}, task=task_a)
    team.b1 = add_masklet(team.cvideo, {0: square(5, 5), 1: square(5, 6)}, task=task_b)
    team.task_a, team.task_b = task_a, task_b
    return team


def test_consensus_get_shape(labelled):
    team = labelled
    response = client_for(team.reviewer).get(f"/api/v1/videos/{team.cvideo.pk}/consensus/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["k"] == 2
    assert body["annotators"] == [
        {
            "user": {"id": team.annotator.pk, "username": "annotator"},
            "task": team.task_a.pk,
            "masklets": [team.a1.pk, team.a2.pk],
        },
        {
            "user": {"id": team.other_annotator.pk, "username": "other_annotator"},
            "task": team.task_b.pk,
            "masklets": [team.b1.pk],
        },
    ]
    assert body["pairs"] == [
        {
            "a": {"id": team.annotator.pk, "username": "annotator"},
            "b": {"id": team.other_annotator.pk, "username": "other_annotator"},
            "matches": [
                {"masklet_a": team.a1.pk, "masklet_b": team.b1.pk, "j": 1.0, "f": 1.0, "jf": 1.0}
            ],
            "unmatched_a": [team.a2.pk],
            "unmatched_b": [],
            "j": 1.0,
            "f": 1.0,
            "jf": 1.0,
        }
    ]
    assert body["groups"] == [
        {"masklets": [team.a1.pk, team.b1.pk], "jf": 1.0, "resolved": None},
        {"masklets": [team.a2.pk], "jf": None, "resolved": None},
    ]


def test_consensus_get_permissions(labelled):
    team = labelled
    url = f"/api/v1/videos/{team.cvideo.pk}/consensus/"
    assert client_for(team.manager).get(url).status_code == 200
    assert client_for(team.annotator).get(url).status_code == 403
    assert client_for(team.outsider).get(url).status_code == 404


def test_consensus_is_cached_until_a_masklet_changes(labelled, django_assert_max_num_queries):
    team = labelled
    url = f"/api/v1/videos/{team.cvideo.pk}/consensus/"
    client = client_for(team.manager)
    client.get(url)
    cached = VideoScoreCache.objects.get(video=team.cvideo, kind=ScoreKind.CONSENSUS)
    # A second read decodes nothing: no MaskletFrame query.
    with django_assert_max_num_queries(12) as captured:
        assert client.get(url).status_code == 200
    assert not any("masklets_maskletframe" in q["sql"] for q in captured.captured_queries)
    Masklet.objects.filter(pk=team.b1.pk).update(version=2)
    add_masklet(team.cvideo, {}, task=team.task_b)  # a new (empty) masklet
    body = client.get(url).json()
    assert len(body["annotators"][1]["masklets"]) == 2
    assert VideoScoreCache.objects.get(pk=cached.pk).key != cached.key


def test_consensus_get_outside_consensus_mode_is_400(team):
    response = client_for(team.manager).get(f"/api/v1/videos/{team.video.pk}/consensus/")
    assert response.status_code == 400


def test_resolve_discards_the_others_and_records_an_event(labelled):
    team = labelled
    url = f"/api/v1/videos/{team.cvideo.pk}/consensus/resolve/"
    response = client_for(team.manager).post(
        url, {"chosen": team.b1.pk, "discard": [team.a1.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["chosen"]["id"] == team.b1.pk
    assert response.json()["chosen"]["consensus_discarded"] is False
    assert response.json()["discarded"] == [team.a1.pk]
    team.a1.refresh_from_db()
    assert team.a1.consensus_discarded is True
    assert team.a1.version == 1  # no mask changed
    event = Event.objects.get(kind="masklet.consensus")
    assert event.payload == {"chosen": team.b1.pk, "discarded": [team.a1.pk]}
    groups = client_for(team.manager).get(f"/api/v1/videos/{team.cvideo.pk}/consensus/").json()
    assert groups["groups"][0]["resolved"] == team.b1.pk

    # Changing one's mind: the earlier discarded version is chosen now.
    client_for(team.manager).post(
        url, {"chosen": team.a1.pk, "discard": [team.b1.pk]}, format="json"
    )
    assert list(
        Masklet.objects.filter(pk__in=[team.a1.pk, team.b1.pk])
        .order_by("id")
        .values_list("consensus_discarded", flat=True)
    ) == [False, True]


def test_a_discarded_version_leaves_review_and_cannot_be_submitted(labelled):
    # given: a1 is waiting for verification when the manager chooses b1 instead
    team = labelled
    Masklet.objects.filter(pk=team.a1.pk).update(status="submitted", review_round=1)
    # when
    response = client_for(team.manager).post(
        f"/api/v1/videos/{team.cvideo.pk}/consensus/resolve/",
        {"chosen": team.b1.pk, "discard": [team.a1.pk]},
        format="json",
    )
    # then: it is back to draft with the reason in its history, and not submittable
    assert response.status_code == 200, response.json()
    a1 = Masklet.objects.get(pk=team.a1.pk)
    assert (a1.status, a1.consensus_discarded) == ("draft", True)
    history = client_for(team.manager).get(f"/api/v1/masklets/{a1.pk}/history/").json()
    assert history[-1]["to_status"] == "draft"
    assert "consensus" in history[-1]["comment"]
    submit = client_for(team.manager).post(
        f"/api/v1/masklets/{a1.pk}/submit/", {"version": a1.version}, format="json"
    )
    assert submit.status_code == 409
    assert "chosen in consensus" in submit.json()["message"]


def test_an_annotators_masklet_marked_ground_truth_still_counts_in_consensus(labelled):
    # given: the manager takes annotator a's version as the video's ground truth
    team = labelled
    marked = client_for(team.manager).post(
        f"/api/v1/videos/{team.cvideo.pk}/ground-truth/", {"masklets": [team.a1.pk]}, format="json"
    )
    assert marked.status_code == 200, marked.json()
    # when
    body = client_for(team.manager).get(f"/api/v1/videos/{team.cvideo.pk}/consensus/").json()
    # then: the pair keeps its match, and the reference version cannot be discarded
    assert body["annotators"][0]["masklets"] == [team.a1.pk, team.a2.pk]
    (pair,) = body["pairs"]
    assert [(m["masklet_a"], m["masklet_b"]) for m in pair["matches"]] == [(team.a1.pk, team.b1.pk)]
    refused = client_for(team.manager).post(
        f"/api/v1/videos/{team.cvideo.pk}/consensus/resolve/",
        {"chosen": team.b1.pk, "discard": [team.a1.pk]},
        format="json",
    )
    assert refused.status_code == 400
    assert "ground truth" in refused.json()["message"]


def test_resolve_validation_and_permissions(labelled):
    team = labelled
    url = f"/api/v1/videos/{team.cvideo.pk}/consensus/resolve/"
    manager = client_for(team.manager)
    same = manager.post(url, {"chosen": team.a1.pk, "discard": [team.a1.pk]}, format="json")
    assert same.status_code == 400
    empty = manager.post(url, {"chosen": team.a1.pk, "discard": []}, format="json")
    assert empty.status_code == 400
    foreign = manager.post(url, {"chosen": team.a1.pk, "discard": [team.masklet.pk]}, format="json")
    assert foreign.status_code == 400
    assert foreign.json()["extra"]["masklets"] == [team.masklet.pk]
    body = {"chosen": team.a1.pk, "discard": [team.b1.pk]}
    assert client_for(team.annotator).post(url, body, format="json").status_code == 403
    assert client_for(team.reviewer).post(url, body, format="json").status_code == 403
    assert client_for(team.outsider).post(url, body, format="json").status_code == 404
    assert not Masklet.objects.filter(consensus_discarded=True).exists()


def test_annotators_see_only_their_own_masklets_in_consensus_mode(labelled):
    team = labelled
    annotator = client_for(team.annotator)
    listed = annotator.get(f"/api/v1/videos/{team.cvideo.pk}/masklets/").json()["results"]
    assert [m["id"] for m in listed] == [team.a1.pk, team.a2.pk]
    assert annotator.get(f"/api/v1/masklets/{team.a1.pk}/").status_code == 200
    assert annotator.get(f"/api/v1/masklets/{team.b1.pk}/").status_code == 404
    assert annotator.get(f"/api/v1/masklets/{team.b1.pk}/frames/").status_code == 404
    assert annotator.get(f"/api/v1/masklets/{team.b1.pk}/prompts/").status_code == 404
    other = client_for(team.other_annotator)
    listed = other.get(f"/api/v1/videos/{team.cvideo.pk}/masklets/").json()["results"]
    assert [m["id"] for m in listed] == [team.b1.pk]
    for role in ("manager", "reviewer"):
        listed = client_for(team.user(role)).get(f"/api/v1/videos/{team.cvideo.pk}/masklets/")
        assert len(listed.json()["results"]) == 3
        assert client_for(team.user(role)).get(f"/api/v1/masklets/{team.b1.pk}/").status_code == 200


def test_annotators_see_every_masklet_outside_consensus_mode(labelled):
    team = labelled
    team.project.consensus_k = 1
    team.project.save()
    annotator = client_for(team.annotator)
    listed = annotator.get(f"/api/v1/videos/{team.cvideo.pk}/masklets/").json()["results"]
    assert len(listed) == 3
    assert annotator.get(f"/api/v1/masklets/{team.b1.pk}/").status_code == 200


def test_consensus_pairs_only_masklets_of_the_same_label(labelled):
    # given: annotator 2 labelled the object both found as something else
    team = labelled
    car = LabelFactory(project=team.project, name="car")
    Masklet.objects.filter(pk=team.a1.pk).update(label=team.label)
    Masklet.objects.filter(pk=team.b1.pk).update(label=car)
    # when
    body = client_for(team.manager).get(f"/api/v1/videos/{team.cvideo.pk}/consensus/").json()
    # then: identical masks, but no match across labels
    (pair,) = body["pairs"]
    assert pair["matches"] == []
    assert pair["unmatched_b"] == [team.b1.pk]
    # and once the labels agree, the pair is matched again (the cache follows the label)
    Masklet.objects.filter(pk=team.b1.pk).update(label=team.label)
    body = client_for(team.manager).get(f"/api/v1/videos/{team.cvideo.pk}/consensus/").json()
    assert [(m["masklet_a"], m["masklet_b"]) for m in body["pairs"][0]["matches"]] == [
        (team.a1.pk, team.b1.pk)
    ]
