"""Fixtures of the diagnosis tests. Personas (counselor = referent, colleague, outsider, follower)
come from tests/conftest.py."""

import json

import pytest

from parcours.accounts.models import ApiToken
from tests.diagnosis.factories import load_shipped_questionnaire

API = "/api/v1"

# A complete set of answers to the shipped questionnaire (v1), in the stored format.
FULL_ANSWERS = {
    "current_status": "job_seeker",
    "status_since": "2024-01-15",
    "education_level": "cap_bep",
    "training_wish": True,
    "experience_years": 4,
    "search_methods": ["offers", "network"],
    "wanted_occupations": "Aide-soignant·e",
    "mobility_radius_km": 20,
    "barrier_housing": "high",
    "barrier_housing_note": "Hébergé chez un ami",
    "barrier_mobility": "no",
    "barrier_health": "medium",
    "barrier_health_note": "Mal de dos",
    "digital_email": "no",
    "digital_forms": "with_help",
    "digital_job_sites": "no",
    "digital_equipment": "smartphone",
    "digital_connectivity": "mobile_only",
    "skills": [
        {
            "label": "Organiser une collecte",
            "source": "volunteering",
            "attested_by": "M. Martin",
            "attested_organisation": "Restos du cœur",
        },
    ],
}


@pytest.fixture
def questionnaire(db):
    return load_shipped_questionnaire()


class Api:
    def __init__(self, client, user):
        _, key = ApiToken.generate(user, "tests")
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"}

    def get(self, path):
        return self.client.get(API + path, headers=self.headers)

    def post(self, path, data):
        return self.client.post(
            API + path, json.dumps(data), content_type="application/json", headers=self.headers
        )

    def patch(self, path, data):
        return self.client.patch(
            API + path, json.dumps(data), content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api(client):
    return lambda user: Api(client, user)
