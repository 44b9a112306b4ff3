"""Schemathesis over the whole published schema, as an authenticated counselor (issue 14, part 11).

Every operation gets generated requests, valid and invalid (bounded: ROBUSTNESS_EXAMPLES per
operation, 10 by default, derandomized so that a run is reproducible). Each answer must be no server
error, have a status declared for the operation, the declared content type, and a body that
matches the declared schema. The counselor is the referent of the authorisation matrix's world, and
every path parameter is replaced by the id of a real object of that world (the generated query and
body are kept), so that requests reach the code behind the lookup instead of stopping at a 404."""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from parcours.accounts.models import ApiToken
from tests.test_authorisation_matrix import world  # noqa: F401 (fixture)

pytestmark = [pytest.mark.robustness, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("ROBUSTNESS_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# The published document, as a client downloads it (JSON: status codes as strings).
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI application closes the database connection at the end of each request
    (close_old_connections; inside the test's transaction it counts as unusable). Django's test
    client disconnects that handler for the same reason; so do these direct WSGI calls, else on
    PostgreSQL every request after the first finds its connection closed."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(world):  # noqa: F811
    return _path_values(world)


def _path_values(ctx) -> dict[str, dict[str, str]]:
    """Path parameter -> {path prefix: value}: the same objects as the matrix's _api_path."""
    owners = {"/persons/": "person", "/services/": "service", "/referrals/": "referral"}
    owners |= {"/market/episodes/": "episode", "/experiments/": "experiment"}
    owners |= {"/sessions/": "session", "/conventions/": "convention", "/episodes/": "episode"}
    ids = {
        "member_id": ctx["member"].pk,
        "appointment_id": ctx["appointment"].pk,
        "consent_id": ctx["consent"].pk,
        "action_id": ctx["action"].pk,
        "checkin_id": ctx["checkin"].pk,
        "registration_id": ctx["registration"].pk,
        "offer_id": ctx["offer"].pk,
        "target_id": ctx["target"].pk,
        "placement_id": ctx["placement"].pk,
        "rome_code": ctx["occupation"].rome_code,
        "version": ctx["profiling_model"].version,
        "code": "time_to_first_contact",
    }
    values = {name: {"": str(value)} for name, value in ids.items()}
    values["public_id"] = {prefix: str(ctx[obj].public_id) for prefix, obj in owners.items()}
    return values


def _locked_object(path: str, ctx):
    path = path.removeprefix("/api/v1")
    if path == "/services/{public_id}":
        return ctx["service"]
    if path == "/persons/{public_id}":
        return ctx["person"]
    if path.startswith("/episodes/{public_id}/action-plan/actions/"):
        return ctx["action"]
    if path in {f"/episodes/{{public_id}}/{verb}" for verb in ("stage", "intensity", "handover", "close")}:
        return ctx["episode"]
    return None


def _real_path(path: str, parameters: dict, values) -> dict:
    path = path.removeprefix("/api/v1")
    real = dict(parameters)
    for name in parameters:
        choices = values.get(name, {})
        prefix = next((p for p in sorted(choices, key=len, reverse=True) if path.startswith(p)), None)
        if prefix is not None:
            real[name] = choices[prefix]
    return real


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_within_its_contract(case, world, real_ids):  # noqa: F811
    _token, key = ApiToken.generate(world["users"]["referent"], "schemathesis")
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
    if case.path_parameters:
        case.path_parameters = _real_path(case.path, case.path_parameters, real_ids)
        # The optimistic lock: a random version always answers 409 before anything else runs.
        if isinstance(case.body, dict) and isinstance(case.body.get("version"), int):
            locked = _locked_object(case.path, world)
            if locked is not None:
                locked.refresh_from_db(fields=["version"])
                case.body = {**case.body, "version": locked.version}
    response = case.call()
    case.validate_response(response, checks=CHECKS)
