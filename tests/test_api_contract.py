"""The published OpenAPI schema tells the truth (issue 14, part 10): distinct enums have distinct
component names, every status the API answers is declared on its operation, and bad input gets a
4xx, never a 500. Schemathesis (tests/robustness) checks the same over generated requests."""

import json

import ninja.openapi.schema
import pytest

from config.api import api
from parcours.accounts.models import ApiToken
from tests.test_authorisation_matrix import (
    API_RULES,
    OFF,
    PERSON,
    PERSON_API,
    PERSONAS,
    STATUS,
    _expected_status,
)


def test_no_two_components_share_a_name(monkeypatch):
    # django-ninja merges the components of all operations by name: record every definition and
    # fail when one name is given two different schemas (one would silently replace the other).
    seen: dict[str, dict] = {}
    clashes: set[str] = set()
    original = ninja.openapi.schema.OpenAPISchema.add_schema_definitions

    def record(self, definitions):
        for name, schema in definitions.items():
            if name in seen and seen[name] != schema:
                clashes.add(name)
            seen.setdefault(name, schema)
        original(self, definitions)

    monkeypatch.setattr(ninja.openapi.schema.OpenAPISchema, "add_schema_definitions", record)
    api.get_openapi_schema()
    assert sorted(clashes) == []
    enums = {name for name, schema in seen.items() if "enum" in schema}
    assert {"AppointmentStatus", "DiagnosisStatus", "ActionStatus", "ProcedureStatus"} <= enums
    assert "Status" in enums  # the person's situation (parcours.people.models.Status)
    assert seen["Status"]["enum"][0] == "job_seeker"


def _declared() -> dict[str, set[int]]:
    schema = json.loads(json.dumps(api.get_openapi_schema()))  # status keys as strings, as published
    return {
        f"{method.upper()} {path.removeprefix('/api/v1')}": {int(s) for s in operation["responses"]}
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_every_status_the_matrix_sees_is_declared():
    # The authorisation matrix asserts the exact status of every operation for every persona on
    # real requests; each of those statuses must be in the operation's declared responses.
    declared = _declared()
    missing = []
    for operation, rule in API_RULES.items():
        if rule.access in (OFF, PERSON, PERSON_API):
            continue
        for persona in PERSONAS:
            status = _expected_status(rule.access, persona, operation, api_call=True)
            if status not in declared[operation]:
                missing.append(f"{operation} {status} ({persona})")
    assert missing == []
    assert set(STATUS) >= {
        op for op, rule in API_RULES.items() if rule.access not in (OFF, PERSON, PERSON_API)
    }


def test_every_operation_declares_the_error_body():
    schema = api.get_openapi_schema()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in (400, 403, 404, 409):
                assert status in operation["responses"], f"{method} {path} {status}"


@pytest.mark.parametrize(
    "field", ["thematiques", "publics", "statuses", "barriers", "name", "description", "is_active"]
)
def test_patch_service_with_null_for_a_non_nullable_field_is_422(client, counselor, organisation, field):
    from tests.catalogue.factories import ServiceFactory

    service = ServiceFactory(organisation=organisation)
    _token, key = ApiToken.generate(counselor, "contrat")
    response = client.patch(
        f"/api/v1/services/{service.public_id}",
        json.dumps({"version": service.version, field: None}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]
    service.refresh_from_db()
    assert getattr(service, field) is not None
