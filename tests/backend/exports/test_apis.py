"""Export and import endpoints: who may do what, status codes, error shape, wiring."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.common import rle as rle_codec
from backend.exports.models import ExportJob
from backend.jobs.enums import JobStatus
from backend.masklets.enums import MaskletStatus
from backend.masklets.models import Masklet
from tests.backend.conftest import Team, client_for
from tests.backend.exports.helpers import add_masklet, box_mask

ROLES = ("manager", "annotator", "other_annotator", "reviewer", "outsider", "anonymous")
READ = (200, 200, 200, 200, 404, 403)


@pytest.fixture
def accepted(team: Team) -> Masklet:
    video = team.video
    masks = {i: box_mask(video.height, video.width, 4, 20, 4, 30) for i in range(video.frame_count)}
    return add_masklet(video, masks, status=MaskletStatus.ACCEPTED, label=team.label)


def _create(client, team: Team, **body):
    return client.post(
        f"/api/v1/projects/{team.project.pk}/exports/create/",
        {"format": "ytvis", **body},
        format="json",
    )


@pytest.mark.parametrize(
    ("role", "expected"), list(zip(ROLES, (201, 403, 403, 403, 404, 403), strict=True))
)
def test_only_managers_start_exports(
    team, accepted, role, expected, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _create(client_for(team.user(role)), team)

    assert response.status_code == expected, response.content[:300]
    if expected == 201:
        body = response.json()
        assert body["status"] == JobStatus.QUEUED
        assert body["frame_step"] == 1
        job = ExportJob.objects.get(pk=body["id"])  # the task ran once the request committed
        assert (job.status, job.progress, job.created_by) == (JobStatus.DONE, 1.0, team.manager)
    else:
        assert response.json()["message"]
        assert not ExportJob.objects.exists()


@pytest.fixture
def finished(team, accepted, django_capture_on_commit_callbacks) -> ExportJob:
    with django_capture_on_commit_callbacks(execute=True):
        response = _create(client_for(team.manager), team)
    return ExportJob.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, READ, strict=True)))
def test_members_list_see_and_download_exports(team, finished, role, expected):
    client = client_for(team.user(role))

    listing = client.get(f"/api/v1/projects/{team.project.pk}/exports/")
    detail = client.get(f"/api/v1/exports/{finished.pk}/")
    download = client.get(f"/api/v1/exports/{finished.pk}/download/")

    assert (listing.status_code, detail.status_code, download.status_code) == (expected,) * 3
    if expected == 200:
        assert [j["id"] for j in listing.json()["results"]] == [finished.pk]
        assert detail.json()["format"] == "ytvis"
        assert download["Content-Type"] == "application/zip"
        assert "attachment" in download["Content-Disposition"]
        archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
        doc = json.loads(archive.read("instances.json"))
        assert len(doc["annotations"]) == 1


def test_download_of_an_unfinished_export_is_a_conflict(team):
    job = ExportJob.objects.create(
        project=team.project, params={"format": "sav"}, created_by=team.manager
    )

    response = client_for(team.annotator).get(f"/api/v1/exports/{job.pk}/download/")

    assert response.status_code == 409
    assert response.json() == {
        "message": "The export is not finished.",
        "extra": {"status": "queued"},
    }


def test_bad_export_options_are_400(team):
    client = client_for(team.manager)
    assert _create(client, team, format="coco-ish").status_code == 400
    assert _create(client, team, frame_step=0).status_code == 400
    response = _create(client, team, video_ids=[999_999])
    assert response.status_code == 400
    assert response.json()["extra"] == {"video_ids": [999_999]}


def _ytvis(team: Team, category: str = "person") -> bytes:
    video = team.video
    mask = box_mask(video.height, video.width, 1, 9, 2, 12)
    doc = {
        "videos": [
            {
                "id": 7,
                "width": video.width,
                "height": video.height,
                "length": 2,
                "file_names": ["v/00000.jpg", "v/00002.jpg"],
            }
        ],
        "categories": [{"id": 1, "name": category}],
        "annotations": [
            {
                "id": 1,
                "video_id": 7,
                "category_id": 1,
                "segmentations": [rle_codec.encode(mask), None],
            }
        ],
    }
    return json.dumps(doc).encode()


def _import(client, team: Team, data: bytes, format: str = "ytvis"):
    return client.post(
        f"/api/v1/videos/{team.video.pk}/imports/",
        {"format": format, "file": SimpleUploadedFile("in.json", data)},
        format="multipart",
    )


@pytest.mark.parametrize(
    ("role", "expected"), list(zip(ROLES, (201, 403, 403, 403, 404, 403), strict=True))
)
def test_only_managers_import(team, role, expected):
    before = Masklet.objects.count()

    response = _import(client_for(team.user(role)), team, _ytvis(team))

    assert response.status_code == expected, response.content[:300]
    if expected == 201:
        (masklet,) = response.json()
        assert masklet["label"] == team.label.pk
        assert masklet["status"] == "draft"
        frames = Masklet.objects.get(pk=masklet["id"]).frames.all()
        assert [(f.frame_index, f.origin) for f in frames] == [(0, "imported")]
    else:
        assert Masklet.objects.count() == before


def test_import_errors_have_the_api_shape(team):
    client = client_for(team.manager)

    broken = _import(client, team, b"{nope")
    unknown = _import(client, team, _ytvis(team, category="dragon"))

    assert broken.status_code == 400
    assert "not valid JSON" in broken.json()["message"]
    assert unknown.status_code == 400
    assert unknown.json()["extra"] == {"unknown_labels": ["dragon"]}


def test_import_onto_a_video_still_processing_is_a_conflict(team):
    team.video.status = "processing"
    team.video.save()

    response = _import(client_for(team.manager), team, _ytvis(team))

    assert response.status_code == 409


def test_export_list_queries_do_not_grow_with_jobs(team, django_assert_max_num_queries):
    for format in ("sav", "davis", "ytvis", "sav_val"):
        ExportJob.objects.create(
            project=team.project, params={"format": format}, created_by=team.manager
        )
    client = client_for(team.reviewer)

    # membership, project, count, page (creators joined)
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/v1/projects/{team.project.pk}/exports/")

    assert [j["format"] for j in response.json()["results"]] == ["sav_val", "ytvis", "davis", "sav"]
    assert response.json()["results"][0]["created_by"]["username"] == "manager"
