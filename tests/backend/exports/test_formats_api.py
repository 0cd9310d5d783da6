from backend.exports.enums import ExportFormat, ImportFormat
from tests.backend.conftest import Team, client_for


def test_format_list_names_every_export_and_import_format(team: Team):
    response = client_for(team.annotator).get("/api/v1/exports/formats/")
    assert response.status_code == 200
    body = response.json()
    assert [f["value"] for f in body["export"]] == list(ExportFormat.values)
    assert [f["value"] for f in body["imports"]] == list(ImportFormat.values)
    assert body["export"][0]["label"] == ExportFormat.SAV.label


def test_format_list_needs_a_login(team: Team):
    assert client_for(None).get("/api/v1/exports/formats/").status_code == 403
