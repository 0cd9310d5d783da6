"""Hungarian matching of masklets on mean IoU, with more and fewer masklets on either side."""

import numpy as np
import pytest

from backend.quality import metrics, scores
from tests.backend.factories import make_ready_video
from tests.backend.quality.conftest import add_masklet, square


def _means(
    iou: dict[tuple[int, int], float], ids: list[int], labels: dict[int, int] | None = None
) -> scores.PairMeans:
    """Symmetric mean-IoU table over ids; F mirrors J so the pairs' values are easy to check.
    Masklets have no label unless ``labels`` gives one."""
    n = len(ids)
    j = np.eye(n)
    for (a, b), value in iou.items():
        j[ids.index(a), ids.index(b)] = j[ids.index(b), ids.index(a)] = value
    labels = labels or {}
    return scores.PairMeans(ids=ids, j=j, f=j / 2, labels=[labels.get(pk) for pk in ids])


def test_match_is_the_global_optimum_not_greedy():
    # Greedy would take 1-11 (0.9) and leave 2-12 (0.1); Hungarian takes 0.8 + 0.85.
    means = _means({(1, 11): 0.9, (1, 12): 0.8, (2, 11): 0.85, (2, 12): 0.1}, [1, 2, 11, 12])
    matches = scores.match(means, [1, 2], [11, 12])
    assert [(m.a, m.b) for m in matches] == [(1, 12), (2, 11)]
    assert matches[0].j == 0.8
    assert matches[0].f == 0.4
    assert matches[0].jf == pytest.approx(0.6)


def test_match_with_more_masklets_on_the_first_side():
    means = _means({(1, 11): 0.7, (2, 12): 0.6, (3, 11): 0.2}, [1, 2, 3, 11, 12])
    matches = scores.match(means, [1, 2, 3], [11, 12])
    assert [(m.a, m.b) for m in matches] == [(1, 11), (2, 12)]


def test_match_with_more_masklets_on_the_second_side():
    means = _means({(1, 12): 0.5, (1, 13): 0.6}, [1, 11, 12, 13])
    matches = scores.match(means, [1], [11, 12, 13])
    assert [(m.a, m.b) for m in matches] == [(1, 13)]


def test_pairs_without_overlap_stay_unmatched():
    # The assignment must pair 2 with 12 (the only column left) but their IoU is 0.
    means = _means({(1, 11): 0.9}, [1, 2, 11, 12])
    matches = scores.match(means, [1, 2], [11, 12])
    assert [(m.a, m.b) for m in matches] == [(1, 11)]


def test_match_pairs_only_masklets_of_the_same_label():
    # 1 overlaps 11 best, but 11 is another label: 1 takes 12 (same label), 2 stays alone.
    means = _means(
        {(1, 11): 0.9, (1, 12): 0.3, (2, 11): 0.0},
        [1, 2, 11, 12],
        labels={1: 7, 2: 7, 11: 8, 12: 7},
    )
    matches = scores.match(means, [1, 2], [11, 12])
    assert [(m.a, m.b) for m in matches] == [(1, 12)]


def test_match_pairs_unlabelled_masklets_with_each_other_only():
    means = _means({(1, 11): 0.9, (2, 11): 0.5}, [1, 2, 11], labels={1: 7})
    matches = scores.match(means, [1, 2], [11])
    assert [(m.a, m.b) for m in matches] == [(2, 11)]


def test_match_with_an_empty_side():
    means = _means({}, [1])
    assert scores.match(means, [1], []) == []
    assert scores.match(means, [], [1]) == []


def test_pair_means_stream_the_video_and_equal_masklet_scores(team):
    video = make_ready_video(team.project, frames=6)
    masks_a = {0: square(5, 5), 1: square(6, 6), 3: square(20, 20)}
    masks_b = {0: square(5, 7), 1: square(6, 6), 2: square(30, 40)}
    masks_c = {4: square(0, 0)}
    a = add_masklet(video, masks_a)
    b = add_masklet(video, masks_b)
    c = add_masklet(video, masks_c)

    means = scores.pair_means(
        video=video, ids=[a.pk, b.pk, c.pk], labels={a.pk: None, b.pk: None, c.pk: None}
    )

    expected = metrics.masklet_scores(masks_a, masks_b)
    assert means.j[0, 1] == pytest.approx(expected.j, abs=1e-12)
    assert means.f[0, 1] == pytest.approx(expected.f, abs=1e-12)
    assert means.j[1, 0] == means.j[0, 1]
    # a and c never share a frame: every frame of either compares a mask with nothing.
    assert means.j[0, 2] == 0.0
    assert means.f[0, 2] == 0.0
    assert means.j[2, 2] == 1.0


def test_consensus_scores_with_unequal_annotators(team):
    """Annotator 1 found three objects, annotator 2 two of them (one shifted), annotator 3 one
    object nobody else found."""
    from backend.projects.models import Task

    video = make_ready_video(team.project, frames=3)
    third = team.reviewer  # any user works as an assignee for the scorer
    tasks = [
        Task.objects.create(project=team.project, video=video, assignee=user)
        for user in (team.annotator, team.other_annotator, third)
    ]
    a1 = add_masklet(video, {0: square(0, 0), 1: square(0, 0)}, task=tasks[0])
    a2 = add_masklet(video, {0: square(20, 20)}, task=tasks[0])
    a3 = add_masklet(video, {0: square(30, 50)}, task=tasks[0])
    b1 = add_masklet(video, {0: square(20, 22)}, task=tasks[1])
    b2 = add_masklet(video, {0: square(0, 0), 1: square(0, 0)}, task=tasks[1])
    c1 = add_masklet(video, {2: square(10, 10)}, task=tasks[2])

    data = scores.consensus_scores(video=video)

    ab, ac, bc = data["pairs"]
    assert (ab["a"], ab["b"]) == (team.annotator.pk, team.other_annotator.pk)
    assert [(m["masklet_a"], m["masklet_b"]) for m in ab["matches"]] == [
        (a1.pk, b2.pk),
        (a2.pk, b1.pk),
    ]
    assert ab["matches"][0]["j"] == 1.0
    assert ab["matches"][0]["f"] == 1.0
    shifted = metrics.masklet_scores({0: square(20, 20)}, {0: square(20, 22)})
    assert ab["matches"][1]["j"] == pytest.approx(shifted.j)
    assert ab["matches"][1]["jf"] == pytest.approx(shifted.jf)
    assert ab["jf"] == pytest.approx((1.0 + shifted.jf) / 2)
    assert ab["unmatched_a"] == [a3.pk]
    assert ab["unmatched_b"] == []
    assert ac["matches"] == []
    assert ac["unmatched_b"] == [c1.pk]
    assert ac["j"] is None
    assert bc["unmatched_a"] == [b1.pk, b2.pk]
    groups = {tuple(g["masklets"]): g["jf"] for g in data["groups"]}
    assert groups == {
        (a1.pk, b2.pk): 1.0,
        (a2.pk, b1.pk): pytest.approx(shifted.jf),
        (a3.pk,): None,
        (c1.pk,): None,
    }
