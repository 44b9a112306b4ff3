"""Obligations and sanction procedures through the API: same rules as the pages."""

import pytest

pytestmark = pytest.mark.django_db


def test_obligations_are_agreed_and_listed_through_the_api(client, episode, counselor):
    client.force_login(counselor)
    url = f"/api/v1/episodes/{episode.public_id}/obligations"
    response = client.post(url, {"activity_hours_per_week": 15}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["version"] == 1
    assert [o["activity_hours_per_week"] for o in client.get(url).json()] == [15]


def test_a_breach_through_the_api_is_blocked_with_its_shortfalls(client, episode, counselor):
    client.force_login(counselor)
    client.post(f"/api/v1/episodes/{episode.public_id}/obligations", {}, content_type="application/json")
    url = f"/api/v1/episodes/{episode.public_id}/sanction-procedures"
    body = {"breach": "Absences", "evidence": "Convocations", "period_start": "2020-01-01"}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "blocked"
    assert "diagnosis: no completed diagnosis" in data["shortfalls"]
    assert [p["id"] for p in client.get(url).json()] == [data["id"]]


def test_procedures_are_refused_to_readers_without_the_sensitive_sections(client, episode, colleague):
    client.force_login(colleague)
    response = client.get(f"/api/v1/episodes/{episode.public_id}/sanction-procedures")
    assert response.status_code == 403
    assert "sensitive" in response.json()["error"]


def test_a_breach_without_commitments_answers_400(client, episode, counselor):
    client.force_login(counselor)
    body = {"breach": "Absences", "evidence": "Convocations", "period_start": "2020-01-01"}
    response = client.post(
        f"/api/v1/episodes/{episode.public_id}/sanction-procedures", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "no commitments" in response.json()["error"]
