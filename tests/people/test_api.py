"""JSON API for people (/api/v1/persons…): authentication, scoping, writes through the actions,
error format. Personas and their rights: tests/conftest.py."""

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from parcours.accounts.models import ApiToken, Role
from parcours.cases.models import AccessLog, CaseEvent, SupportEpisode
from parcours.people.models import Consent, Person, StatusPeriod
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory
from tests.organisations.factories import TerritoryFactory

API = "/api/v1"


class Api:
    """A JSON client authenticated with a bearer token created like the UI does (ApiToken.generate)."""

    def __init__(self, client, user=None, key=None):
        self.client = client
        self.headers = {}
        if user is not None and key is None:
            _, key = ApiToken.generate(user, "tests")
        if key is not None:
            self.headers["Authorization"] = f"Bearer {key}"

    def get(self, path, **params):
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path, data=None, raw=None):
        body = raw if raw is not None else json.dumps(data or {}, default=str)
        return self.client.post(API + path, body, content_type="application/json", headers=self.headers)

    def patch(self, path, data):
        return self.client.patch(
            API + path, json.dumps(data, default=str), content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api(client):
    """Build an API client for a persona: api(counselor)."""
    return lambda user=None, key=None: Api(client, user, key)


def assert_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    return body["error"]


# --- Authentication ----------------------------------------------------------------------------


def test_bearer_token_authenticates_and_is_touched(api, counselor, person):
    token, key = ApiToken.generate(counselor, "integration")
    response = api(key=key).get("/persons")
    assert response.status_code == 200
    assert [p["public_id"] for p in response.json()["items"]] == [str(person.public_id)]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_browser_session_authenticates(client, counselor, person):
    client.force_login(counselor, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"{API}/persons/{person.public_id}")
    assert response.status_code == 200
    assert response.json()["public_id"] == str(person.public_id)


def test_revoked_token_is_refused_with_401(api, counselor, person):
    token, key = ApiToken.generate(counselor, "old integration")
    token.revoke()
    assert_error(api(key=key).get("/persons"), 401)


def test_unknown_token_and_no_auth_are_refused_with_401(api, person):
    assert_error(api(key="prc_not-a-token").get("/persons"), 401)
    assert_error(api().get(f"/persons/{person.public_id}"), 401)
    assert_error(api().post("/persons", {"first_name": "A"}), 401)


def test_token_of_inactive_user_is_refused(api, counselor, person):
    _, key = ApiToken.generate(counselor, "integration")
    counselor.is_active = False
    counselor.save()
    assert_error(api(key=key).get("/persons"), 401)


# --- Reading -----------------------------------------------------------------------------------


def test_referent_lists_people_filtered_and_ordered(api, counselor, organisation):
    for last_name, status in [("Martin", "job_seeker"), ("Bernard", "employed"), ("Marchand", "job_seeker")]:
        EpisodeFactory(
            organisation=organisation, referent=counselor, person__last_name=last_name, person__status=status
        )
    client = api(counselor)
    names = [p["last_name"] for p in client.get("/persons").json()["items"]]
    assert names == ["Bernard", "Marchand", "Martin"]
    assert [p["last_name"] for p in client.get("/persons", q="mar").json()["items"]] == ["Marchand", "Martin"]
    assert [p["last_name"] for p in client.get("/persons", status="employed").json()["items"]] == ["Bernard"]
    page = client.get("/persons", limit=1, offset=1).json()
    assert page["count"] == 3
    assert [p["last_name"] for p in page["items"]] == ["Marchand"]


def test_outsider_sees_an_empty_list_and_404_on_the_person(api, outsider, person):
    client = api(outsider)
    assert client.get("/persons").json() == {"items": [], "count": 0}
    assert_error(client.get(f"/persons/{person.public_id}"), 404)
    assert_error(client.get(f"/persons/{person.public_id}/consents"), 404)
    assert_error(client.patch(f"/persons/{person.public_id}", {"version": 1, "phone": "0600000000"}), 404)
    assert not AccessLog.objects.filter(user=outsider).exists()


def test_person_detail_is_recorded_in_the_access_log(api, counselor, person):
    response = api(counselor).get(f"/persons/{person.public_id}")
    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert (log.person, log.user, log.route) == (person, counselor, "api:person_detail")


def test_disability_recognition_is_shown_to_the_referent_only(api, counselor, colleague, person):
    Person.objects.filter(pk=person.pk).update(disability_recognition=True)
    mine = api(counselor).get(f"/persons/{person.public_id}").json()
    assert (mine["can_see_sensitive"], mine["disability_recognition"]) == (True, True)
    theirs = api(colleague).get(f"/persons/{person.public_id}").json()
    assert (theirs["can_see_sensitive"], theirs["disability_recognition"]) == (False, None)
    assert theirs["can_edit"] is True
    assert [e["public_id"] for e in theirs["episodes"]] == [str(person.episodes.get().public_id)]


def test_follower_with_consent_sees_the_person_until_consent_is_withdrawn(api, counselor, follower, person):
    follower_api = api(follower)
    assert follower_api.get(f"/persons/{person.public_id}").status_code == 200
    detail = follower_api.get(f"/persons/{person.public_id}").json()
    assert (detail["can_edit"], detail["disability_recognition"]) == (False, None)
    consent = Consent.objects.get(person=person, organisation__memberships__user=follower)

    response = api(counselor).post(f"/consents/{consent.pk}/withdraw")
    assert response.status_code == 200
    assert response.json()["is_active"] is False

    assert_error(follower_api.get(f"/persons/{person.public_id}"), 404)
    assert follower_api.get("/persons").json()["count"] == 0
    assert CaseEvent.objects.filter(person=person, kind=CaseEvent.Kind.CONSENT_WITHDRAWN).count() == 1


def test_follower_cannot_change_the_person(api, follower, person):
    error = assert_error(
        api(follower).patch(f"/persons/{person.public_id}", {"version": 1, "phone": "0612345678"}), 403
    )
    assert "open episode" in error
    person.refresh_from_db()
    assert person.phone == ""


# --- Creating and changing ---------------------------------------------------------------------


def test_create_person_opens_an_episode_with_the_callers_organisation(api, counselor, organisation):
    commune = TerritoryFactory(insee_code="59350", name="Lille")
    response = api(counselor).post(
        "/persons",
        {
            "first_name": "Amina",
            "last_name": "Diallo",
            "birth_date": "1994-05-17",
            "commune": "59350",
            "preferred_channels": ["sms", "phone"],
            "episode": {"intensity": "intensive"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.get(public_id=body["public_id"])
    assert (person.commune, person.preferred_channels) == (commune, ["sms", "phone"])
    episode = SupportEpisode.objects.get(person=person)
    assert (episode.organisation, episode.referent, episode.intensity) == (
        organisation,
        counselor,
        "intensive",
    )
    assert episode.contact_target_days == 14
    assert body["episodes"][0]["public_id"] == str(episode.public_id)
    assert StatusPeriod.objects.filter(person=person, status="job_seeker").exists()
    assert set(CaseEvent.objects.filter(person=person).values_list("kind", flat=True)) == {
        "person_created",
        "episode_opened",
    }


def test_create_person_refuses_a_possible_duplicate_unless_confirmed(api, counselor, person):
    client = api(counselor)
    payload = {
        "first_name": person.first_name.upper(),
        "last_name": person.last_name,
        "birth_date": person.birth_date,
    }
    error = assert_error(client.post("/persons", payload), 409)
    assert str(person.public_id) in error
    assert Person.objects.count() == 1
    response = client.post("/persons", {**payload, "ignore_duplicates": True})
    assert response.status_code == 201
    assert Person.objects.count() == 2


def test_create_person_needs_a_case_role(api, analyst):
    payload = {"first_name": "Léa", "last_name": "Petit", "birth_date": "1990-01-01"}
    assert_error(api(analyst).post("/persons", payload), 403)
    assert not Person.objects.exists()


def test_create_person_needs_the_organisation_when_the_caller_has_several(api, counselor, other_organisation):
    member(other_organisation, Role.COUNSELOR)
    counselor.memberships.create(organisation=other_organisation, role=Role.COUNSELOR)
    payload = {"first_name": "Léa", "last_name": "Petit", "birth_date": "1990-01-01"}
    client = api(counselor)
    assert "several" in assert_error(client.post("/persons", payload), 400)
    payload["episode"] = {"organisation": str(other_organisation.public_id)}
    assert client.post("/persons", payload).status_code == 201
    assert SupportEpisode.objects.get().organisation == other_organisation


def test_patch_person_changes_only_sent_fields_and_bumps_version(api, counselor, person):
    response = api(counselor).patch(f"/persons/{person.public_id}", {"version": 1, "phone": "0612345678"})
    assert response.status_code == 200, response.content
    assert (response.json()["phone"], response.json()["version"]) == ("+33 6 12 34 56 78", 2)
    person.refresh_from_db()
    assert (person.phone, person.first_name, person.version) == ("+33 6 12 34 56 78", person.first_name, 2)
    event = CaseEvent.objects.get(kind=CaseEvent.Kind.PERSON_UPDATED)
    assert event.data == {"fields": ["phone"]}


def test_patch_person_with_a_stale_version_is_409_and_changes_nothing(api, counselor, colleague, person):
    assert (
        api(colleague)
        .patch(f"/persons/{person.public_id}", {"version": 1, "phone": "0611111111"})
        .status_code
        == 200
    )
    error = assert_error(
        api(counselor).patch(f"/persons/{person.public_id}", {"version": 1, "phone": "0622334455"}), 409
    )
    assert "changed" in error
    person.refresh_from_db()
    assert person.phone == "+33 6 11 11 11 11"


def test_colleague_cannot_change_the_sensitive_field(api, counselor, colleague, person):
    assert_error(
        api(colleague).patch(f"/persons/{person.public_id}", {"version": 1, "disability_recognition": True}),
        403,
    )
    response = api(counselor).patch(
        f"/persons/{person.public_id}", {"version": 1, "disability_recognition": True}
    )
    assert response.json()["disability_recognition"] is True


def test_change_status_keeps_the_history(api, counselor, person):
    response = api(counselor).post(
        f"/persons/{person.public_id}/status", {"status": "employed", "since": "2025-01-06"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "employed"
    assert StatusPeriod.objects.get(person=person, status="employed").started_on == datetime.date(2025, 1, 6)


def test_consents_can_be_listed_given_and_withdrawn(api, counselor, person, other_organisation):
    client = api(counselor)
    response = client.post(
        f"/persons/{person.public_id}/consents",
        {"organisation": str(other_organisation.public_id), "scope": "case_file", "note": "signé le 3/2"},
    )
    assert response.status_code == 201, response.content
    consent_id = response.json()["id"]
    listed = client.get(f"/persons/{person.public_id}/consents").json()
    assert [(c["id"], c["organisation_name"], c["is_active"]) for c in listed["items"]] == [
        (consent_id, other_organisation.name, True)
    ]
    assert client.post(f"/consents/{consent_id}/withdraw").json()["withdrawn_at"] is not None
    assert_error(
        client.post(
            f"/persons/{person.public_id}/consents",
            {"organisation": str(person.public_id), "scope": "case_file"},
        ),
        400,
    )


def test_outsider_cannot_withdraw_a_consent_of_a_person_they_do_not_see(api, outsider, follower, person):
    consent = Consent.objects.get(person=person)
    assert_error(api(outsider).post(f"/consents/{consent.pk}/withdraw"), 404)
    consent.refresh_from_db()
    assert consent.is_active


# --- Duplicates ----------------------------------------------------------------------------------


def test_duplicates_are_limited_to_people_the_user_knows(api, counselor, organisation, other_organisation):
    birth = datetime.date(1988, 3, 2)
    mine = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        person__first_name="Zoé",
        person__last_name="Lefèvre",
        person__birth_date=birth,
    ).person
    past = EpisodeFactory(
        organisation=organisation,
        closed=True,
        person__first_name="Zoe",
        person__last_name="Lefevre",
        person__birth_date=birth,
    ).person
    elsewhere = EpisodeFactory(
        organisation=other_organisation,
        person__first_name="Zoé",
        person__last_name="Lefèvre",
        person__birth_date=birth,
    ).person
    response = api(counselor).get(
        "/persons/duplicates", first_name="zoe", last_name="LEFEVRE", birth_date="1988-03-02"
    )
    assert response.status_code == 200
    found = {d["public_id"]: d["is_visible"] for d in response.json()}
    assert found == {str(mine.public_id): True, str(past.public_id): False}
    assert str(elsewhere.public_id) not in found

    of_mine = api(counselor).get(f"/persons/{mine.public_id}/duplicates").json()
    assert [d["public_id"] for d in of_mine] == [str(past.public_id)]


# --- Bad input never answers 500 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"first_name": 12, "last_name": ["x"], "birth_date": "1990-01-01"}, 422),  # wrong types
        ({"first_name": "A", "last_name": "B", "birth_date": "1990-02-30"}, 422),  # bad date
        ({"first_name": "A", "last_name": "B", "birth_date": "2990-01-01"}, 422),  # future birth
        ({"first_name": "A", "birth_date": "1990-01-01"}, 422),  # missing field
        ({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01", "sex": "Q"}, 422),  # unknown enum
        ({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01", "status": "retired"}, 422),
        (
            {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01", "preferred_channels": ["fax"]},
            422,
        ),
        ({"first_name": "A\x00", "last_name": "B", "birth_date": "1990-01-01"}, 422),  # NUL byte
        ({"first_name": "A" * 101, "last_name": "B", "birth_date": "1990-01-01"}, 422),  # too long
        ({"first_name": "   ", "last_name": "B", "birth_date": "1990-01-01"}, 422),  # blank
        ({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01", "email": "not-an-email"}, 422),
        ({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01", "commune": "00000"}, 422),
        (
            {
                "first_name": "A",
                "last_name": "B",
                "birth_date": "1990-01-01",
                "episode": {"organisation": "x"},
            },
            422,
        ),
        (
            {
                "first_name": "A",
                "last_name": "B",
                "birth_date": "1990-01-01",
                "episode": {"contact_target_days": -1},
            },
            422,
        ),
        ([1, 2, 3], 422),  # not an object
    ],
)
def test_malformed_person_payloads_are_4xx(api, counselor, payload, status):
    assert_error(api(counselor).post("/persons", payload), status)
    assert not Person.objects.exists()


def test_body_that_is_not_json_is_400(api, counselor):
    assert_error(api(counselor).post("/persons", raw="{not json"), 400)


@pytest.mark.parametrize(
    "payload",
    [
        {"phone": "06"},  # missing version
        {"version": "one", "phone": "06"},
        {"version": 1, "first_name": None},  # null on a required field
        {"version": 1, "birth_date": "17/05/1994"},
        {"version": 1, "sex": "unknown"},
        {"version": 1, "phone": "0" * 21},
    ],
)
def test_malformed_patches_are_422(api, counselor, person, payload):
    assert_error(api(counselor).patch(f"/persons/{person.public_id}", payload), 422)
    person.refresh_from_db()
    assert person.version == 1


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/persons/not-a-uuid", {}),
        ("/persons", {"limit": -1}),
        ("/persons", {"limit": 0}),
        ("/persons", {"limit": 1000}),
        ("/persons", {"offset": 10**30}),
        ("/persons", {"offset": "abc"}),
        ("/persons", {"status": "retired"}),
        ("/persons", {"q": "a\x00"}),
        ("/persons/duplicates", {"first_name": "A", "last_name": "B", "birth_date": "1990-13-01"}),
        ("/persons/duplicates", {"first_name": "A"}),
    ],
)
def test_malformed_queries_are_422(api, counselor, person, path, params):
    assert_error(api(counselor).get(path, **params), 422)


def test_huge_offset_within_bounds_is_an_empty_page(api, counselor, person):
    assert api(counselor).get("/persons", offset=2**31 - 1).json() == {"items": [], "count": 1}


def test_huge_or_unknown_consent_id_is_404_or_422(api, counselor, person):
    assert_error(api(counselor).post("/consents/999999/withdraw"), 404)
    assert_error(api(counselor).post(f"/consents/{10**30}/withdraw"), 422)


def test_unknown_person_is_404(api, counselor):
    assert_error(api(counselor).get("/persons/6f1c1a8e-1b1b-4b1b-9b1b-1b1b1b1b1b1b"), 404)


# --- Query counts ----------------------------------------------------------------------------------


def _count_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/persons", "/persons?status=job_seeker"])
def test_person_list_queries_do_not_grow_with_rows(
    api, counselor, organisation, path, django_assert_max_num_queries
):
    client = api(counselor)
    client.get("/persons")  # the token's last use is written once a minute: out of the measure
    for _ in range(3):
        EpisodeFactory(organisation=organisation, referent=counselor, person__commune=TerritoryFactory())
    with django_assert_max_num_queries(6):
        few = _count_queries(client, path)
    for _ in range(27):
        EpisodeFactory(organisation=organisation, referent=counselor, person__commune=TerritoryFactory())
    with django_assert_max_num_queries(6):
        many = _count_queries(client, path)
    assert few == many
    assert client.get("/persons", limit=100).json()["count"] == 30


def test_person_detail_queries_are_bounded(api, counselor, person, django_assert_max_num_queries):
    client = api(counselor)
    client.get("/persons")
    organisation = person.episodes.get().organisation
    for _ in range(5):
        EpisodeFactory(person=person, closed=True, organisation=organisation)
    with django_assert_max_num_queries(8):
        assert client.get(f"/persons/{person.public_id}").status_code == 200


# --- OpenAPI and docs --------------------------------------------------------------------------------


def test_openapi_schema_is_valid_json_and_lists_the_routes(api, counselor):
    response = api(counselor).get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/persons", "get"),
        ("/api/v1/persons", "post"),
        ("/api/v1/persons/{public_id}", "patch"),
        ("/api/v1/persons/{public_id}/consents", "post"),
        ("/api/v1/persons/duplicates", "get"),
        ("/api/v1/episodes/{public_id}/stage", "post"),
        ("/api/v1/episodes/{public_id}/contacts", "post"),
        ("/api/v1/appointments/{appointment_id}/held", "post"),
        ("/api/v1/persons/{public_id}/events", "get"),
    ]:
        assert method in paths[path], (path, method)
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert paths["/api/v1/persons"]["get"]["security"] == [{"TokenAuth": []}, {"BrowserSessionAuth": []}]


def test_interactive_docs_answer_for_an_authenticated_user(client, counselor):
    client.force_login(counselor, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_openapi_schema_is_public_but_data_is_not(client, person):
    assert client.get(f"{API}/openapi.json").status_code == 200
    assert client.get(f"{API}/persons").status_code == 401


def test_session_writes_need_the_csrf_token(counselor, person):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(counselor, backend="django.contrib.auth.backends.ModelBackend")
    response = browser.patch(
        f"{API}/persons/{person.public_id}",
        json.dumps({"version": 1, "phone": "06"}),
        content_type="application/json",
    )
    assert_error(response, 403)
    person.refresh_from_db()
    assert person.phone == ""


def test_validation_errors_name_the_field(api, counselor):
    error = assert_error(
        api(counselor).post("/persons", {"first_name": "A", "last_name": "B", "birth_date": "x"}), 422
    )
    assert "birth_date" in error
