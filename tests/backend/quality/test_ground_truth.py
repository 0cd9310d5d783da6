import pytest

from backend.events.models import Event
from backend.masklets.models import Masklet
from backend.projects.models import Task
from backend.quality import metrics
from tests.backend.conftest import client_for
from tests.backend.factories import LabelFactory, make_ready_video
from tests.backend.quality.conftest import add_masklet, square


@pytest.fixture
def gt_video(team):
    """A video with two ground-truth objects (made by the manager) and two annotators' work:
    annotator found both (one shifted) plus an extra object; other_annotator found one."""
    video = make_ready_video(team.project, frames=2)
    team.gtv = video
    team.g1 = add_masklet(video, {0: square(5, 5), 1: square(5, 5)}, created_by=team.manager)
    team.g2 = add_masklet(video, {0: square(30, 40)}, created_by=team.manager)
    task_a = Task.objects.create(project=team.project, video=video, assignee=team.annotator)
    task_b = Task.objects.create(project=team.project, video=video, assignee=team.other_annotator)
    team.a1 = add_masklet(video, {0: square(5, 5), 1: square(5, 5)}, task=task_a)
    team.a2 = add_masklet(video, {0: square(30, 42)}, task=task_a)
    team.a3 = add_masklet(video, {1: square(30, 0)}, task=task_a)
    team.b1 = add_masklet(video, {0: square(30, 40)}, task=task_b)
    return team


def _mark(team, user, ids):
    return client_for(user).post(
        f"/api/v1/videos/{team.gtv.pk}/ground-truth/", {"masklets": ids}, format="json"
    )


def test_mark_sets_exactly_the_given_masklets(gt_video):
    team = gt_video
    first = _mark(team, team.manager, [team.g1.pk, team.a3.pk])
    assert first.status_code == 200, first.json()
    assert first.json() == {"masklets": sorted([team.g1.pk, team.a3.pk])}
    second = _mark(team, team.manager, [team.g1.pk, team.g2.pk])
    assert second.json() == {"masklets": [team.g1.pk, team.g2.pk]}
    truth = set(Masklet.objects.filter(is_ground_truth=True).values_list("id", flat=True))
    assert truth == {team.g1.pk, team.g2.pk}
    assert Event.objects.filter(kind="video.ground_truth", video=team.gtv).count() == 2
    cleared = _mark(team, team.manager, [])
    assert cleared.json() == {"masklets": []}
    assert not Masklet.objects.filter(is_ground_truth=True).exists()


def test_mark_refuses_masklets_of_other_videos(gt_video):
    team = gt_video
    response = _mark(team, team.manager, [team.g1.pk, team.masklet.pk])
    assert response.status_code == 400
    assert response.json()["extra"]["masklets"] == [team.masklet.pk]
    assert not Masklet.objects.filter(is_ground_truth=True).exists()


def test_mark_permissions(gt_video):
    team = gt_video
    assert _mark(team, team.annotator, [team.g1.pk]).status_code == 403
    assert _mark(team, team.reviewer, [team.g1.pk]).status_code == 403
    assert _mark(team, team.outsider, [team.g1.pk]).status_code == 404


def test_scores_per_annotator(gt_video):
    team = gt_video
    _mark(team, team.manager, [team.g1.pk, team.g2.pk])

    response = client_for(team.reviewer).get(f"/api/v1/videos/{team.gtv.pk}/ground-truth/scores/")

    assert response.status_code == 200, response.json()
    rows = {row["user"]["username"]: row for row in response.json()}
    assert set(rows) == {"annotator", "other_annotator"}
    shifted = metrics.masklet_scores({0: square(30, 40)}, {0: square(30, 42)})
    a = rows["annotator"]
    assert (a["matched"], a["missed"], a["extra"]) == (2, 0, 1)
    assert a["j"] == pytest.approx((1.0 + shifted.j) / 2)
    assert a["f"] == pytest.approx((1.0 + shifted.f) / 2)
    assert a["jf"] == pytest.approx((1.0 + shifted.jf) / 2)
    b = rows["other_annotator"]
    # One of two ground-truth objects found, perfectly: the missed one counts 0.
    assert (b["matched"], b["missed"], b["extra"]) == (1, 1, 0)
    assert b["j"] == b["f"] == b["jf"] == pytest.approx(0.5)
    assert b["user"] == {"id": team.other_annotator.pk, "username": "other_annotator"}


def test_scores_follow_a_changed_ground_truth(gt_video):
    team = gt_video
    url = f"/api/v1/videos/{team.gtv.pk}/ground-truth/scores/"
    _mark(team, team.manager, [team.g1.pk, team.g2.pk])
    client_for(team.manager).get(url)
    _mark(team, team.manager, [team.g2.pk])
    rows = {r["user"]["username"]: r for r in client_for(team.manager).get(url).json()}
    assert rows["other_annotator"]["jf"] == 1.0
    # g1 is no longer ground truth: it is now the manager's own work, unlike g2 in every way.
    manager = rows["manager"]
    assert (manager["matched"], manager["missed"], manager["extra"]) == (0, 1, 1)
    assert manager["jf"] == 0.0


def test_scores_without_ground_truth_are_empty_and_annotators_cannot_read(gt_video):
    team = gt_video
    url = f"/api/v1/videos/{team.gtv.pk}/ground-truth/scores/"
    assert client_for(team.manager).get(url).json() == []
    assert client_for(team.annotator).get(url).status_code == 403
    assert client_for(team.outsider).get(url).status_code == 404


def test_scores_pair_only_masklets_of_the_ground_truths_label(gt_video):
    # given: "dog" is the ground truth; annotator's identical masklet is a "person"
    team = gt_video
    dog = LabelFactory(project=team.project, name="dog")
    Masklet.objects.filter(pk=team.g1.pk).update(label=dog)
    Masklet.objects.filter(pk=team.a1.pk).update(label=team.label)
    _mark(team, team.manager, [team.g1.pk])
    url = f"/api/v1/videos/{team.gtv.pk}/ground-truth/scores/"
    # when
    rows = {r["user"]["username"]: r for r in client_for(team.manager).get(url).json()}
    # then: the same masks under another label do not score
    a = rows["annotator"]
    assert (a["matched"], a["missed"], a["jf"]) == (0, 1, 0.0)
    # when the annotator corrects the label
    Masklet.objects.filter(pk=team.a1.pk).update(label=dog)
    rows = {r["user"]["username"]: r for r in client_for(team.manager).get(url).json()}
    assert (rows["annotator"]["matched"], rows["annotator"]["jf"]) == (1, 1.0)
