"""A NUL character is refused (PostgreSQL text cannot hold it): 422 on the API, 400 on pages."""

import json

from django.urls import reverse

from parcours.accounts.models import ApiToken


def test_nul_character_in_query_or_json_body_is_refused_with_422(client, counselor):
    _token, key = ApiToken.generate(counselor, "nul")
    headers = {"Authorization": f"Bearer {key}"}
    query = client.get("/api/v1/persons?q=ab%00c", headers=headers)
    assert query.status_code == 422
    assert "NUL" in query.json()["error"]
    body = client.post(
        "/api/v1/persons",
        json.dumps({"first_name": "A\u0000"}),
        content_type="application/json",
        headers=headers,
    )
    assert body.status_code == 422
    fine = client.get("/api/v1/persons?q=abc", headers=headers)
    assert fine.status_code == 200


def test_pages_answer_400_to_a_nul_character(client, counselor):
    client.force_login(counselor)
    assert client.get(reverse("cases:portfolio") + "?q=a%00b").status_code == 400
    assert client.get(reverse("cases:portfolio") + "?q=ab").status_code == 200
