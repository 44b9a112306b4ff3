"""Every read of personal data writes an AccessLog row (issue 14, part 5). The routes come from the
authorisation matrix, so a new page or endpoint is covered as soon as it has an access rule.

For each staff route that reads (HTML pages that `_is_write` says are reads, every API GET), the
referent opens it on the matrix's world. A route of the READ access class (it serves one person's
file) must log a read of that person; any other route must log one as soon as its answer shows the
person (their full name, both their names, or their public id)."""

import pytest
from django.urls import reverse

from parcours.accounts.models import ApiToken
from parcours.cases.models import AccessLog
from tests.test_authorisation_matrix import (
    API_RULES,
    HTML_RULES,
    OFF,
    PERSON,
    PERSON_API,
    PUBLIC,
    READ,
    TOKEN,
    _api_path,
    _html_kwargs,
    _html_routes,
    _is_write,
    world,  # noqa: F401 (fixture)
)

SKIPPED_ACCESS = {PUBLIC, OFF, TOKEN, PERSON, PERSON_API}

HTML_READS = sorted(
    name for name, rule in HTML_RULES.items() if not _is_write(name) and rule.access not in SKIPPED_ACCESS
)
API_READS = sorted(
    op for op, rule in API_RULES.items() if op.startswith("GET ") and rule.access not in SKIPPED_ACCESS
)


def _last_log() -> int:
    return AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _check_logged(response, world, access, what, before: int):  # noqa: F811
    person = world["person"]
    referent = world["users"]["referent"]
    body = response.content.decode(errors="replace")
    # Their name as pages show it, or both their names, or their public id: a last name alone also
    # matched a colleague of the same name in a page's list of referents (Faker's names repeat).
    shows_person = (
        str(person.public_id) in body
        or person.full_name in body
        or (person.first_name in body and person.last_name in body)
    )
    logged = AccessLog.objects.filter(person=person, user=referent, pk__gt=before).exists()
    if response.status_code == 200 and (access == READ or shows_person):
        assert logged, f"{what} shows the person's file ({response.status_code}) without an AccessLog row"


@pytest.mark.parametrize("name", HTML_READS)
def test_html_read_of_a_person_is_logged(client, world, name):  # noqa: F811
    url = reverse(name, kwargs=_html_kwargs(name, _html_routes()[name], world))
    client.force_login(world["users"]["referent"])
    before = _last_log()
    response = client.get(url)
    assert response.status_code < 500
    _check_logged(response, world, HTML_RULES[name].access, name, before)


@pytest.mark.parametrize("operation", API_READS)
def test_api_read_of_a_person_is_logged(client, world, operation):  # noqa: F811
    _token, key = ApiToken.generate(world["users"]["referent"], "journal")
    before = _last_log()
    response = client.get(_api_path(operation, world), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code < 500
    _check_logged(response, world, API_RULES[operation].access, operation, before)
