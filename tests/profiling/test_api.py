from parcours.cases.models import CaseEvent
from tests.profiling.factories import ModelFactory, ScoreFactory


def _score_url(episode):
    return f"/api/v1/episodes/{episode.public_id}/score"


def test_api_returns_the_score_with_its_factors(client, counselor, episode):
    ScoreFactory(
        episode=episode,
        score=0.3,
        band="low",
        top_factors=[{"feature": "age", "text": "Âge", "effect": "diminue le risque", "contribution": -0.2}],
    )
    client.force_login(counselor)
    response = client.get(_score_url(episode))
    assert response.status_code == 200
    data = response.json()
    assert data["band"] == "low" and data["effective_band"] == "low"
    assert data["top_factors"][0]["feature"] == "age"
    assert "aide à la décision" in data["notice"]


def test_api_override_requires_a_reason_and_is_logged(client, counselor, episode):
    score = ScoreFactory(episode=episode, band="high")
    client.force_login(counselor)
    url = _score_url(episode) + "/override"
    refused = client.post(url, {"band": "low", "reason": ""}, content_type="application/json")
    assert refused.status_code == 400
    ok = client.post(
        url,
        {"band": "low", "reason": "Embauche prévue", "version": score.version},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["effective_band"] == "low"
    assert CaseEvent.objects.filter(episode=episode, data__what="profiling_override").exists()


def test_api_answers_404_to_an_outsider(client, outsider, episode):
    ScoreFactory(episode=episode)
    client.force_login(outsider)
    assert client.get(_score_url(episode)).status_code == 404
    assert (
        client.post(
            _score_url(episode) + "/override", {"band": "low", "reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_api_model_list_is_for_analysts_and_the_card_is_public(client, analyst, counselor, db):
    model = ModelFactory(version="v-api")
    client.force_login(counselor)
    assert client.get("/api/v1/profiling/models").status_code == 403
    client.force_login(analyst)
    assert [m["version"] for m in client.get("/api/v1/profiling/models").json()] == ["v-api"]
    client.logout()
    card = client.get(f"/api/v1/profiling/models/{model.version}/card")
    assert card.status_code == 200 and card.json()["intended_use"] == "Aide à la décision"
    assert client.get("/api/v1/profiling/models/unknown/card").status_code == 404
