"""Employed people at intake (issue 13, R4): the intake page and POST /persons ask for the current
job of a person whose situation is "salarié·e" or "indépendant·e" and record it as an outcome of
kind "emploi occupé à l'entrée" through outcomes.actions.record_outcome (no stage change, no
check-in); the job is required for them and refused for anyone else; the form keeps what was typed."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from parcours.cases.models import CaseEvent, Stage, SupportEpisode
from parcours.outcomes.models import CheckIn, EmploymentOutcome
from parcours.people.models import Person
from tests.people.test_views import creation_data

pytestmark = pytest.mark.django_db

VALID_SIRET = "73282932000074"

JOB = {
    "job-job_title": "commis de cuisine",
    "job-contract_type": "cdd",
    "job-contract_months": "9",
    "job-weekly_hours": "24.5",
    "job-start_on": "2025-10-01",
    "job-employer_name": "Brasserie du Nord",
    "job-siret": "732 829 320 00074",
    "job-employer_email": "rh@brasserie.example",
    "job-wage_band": "smic",
}


def post_page(client, counselor, organisation, **overrides):
    client.force_login(counselor)
    data = creation_data(organisation, **{"status": "employed", **JOB, **overrides})
    return client.post(reverse("intake:create_person"), data)


def test_the_page_records_the_current_job_of_an_employed_person(client, counselor, organisation, rome_sample):
    response = post_page(client, counselor, organisation)
    assert response.status_code == 302
    person = Person.objects.get(last_name="Dupont")
    outcome = EmploymentOutcome.objects.get(episode__person=person)
    assert (
        outcome.kind,
        outcome.contract_type,
        outcome.contract_months,
        outcome.weekly_hours,
        outcome.start_on,
        outcome.job_title,
        outcome.rome_code,
        outcome.siret,
        outcome.employer_name,
        outcome.employer_email,
        outcome.wage_band,
        outcome.source,
        outcome.recorded_by,
    ) == (
        "current_job",
        "cdd",
        9,
        Decimal("24.5"),
        datetime.date(2025, 10, 1),
        "commis de cuisine",
        "G1602",  # through the job-title normaliser, as the outcome form does
        VALID_SIRET,
        "Brasserie du Nord",
        "rh@brasserie.example",
        "smic",
        "counselor",
        counselor,
    )
    episode = SupportEpisode.objects.get(person=person)
    assert episode.stage == Stage.WELCOME  # a job held at entry changes no stage
    assert CheckIn.objects.count() == 0  # and schedules nothing
    event = CaseEvent.objects.get(person=person, data__what="employment_outcome_recorded")
    assert (event.data["kind"], event.data["contract"], event.data["rome"]) == ("current_job", "cdd", "G1602")


def test_an_employed_person_without_a_job_is_refused_and_nothing_is_created(client, counselor, organisation):
    empty = dict.fromkeys(JOB, "") | {"job-wage_band": "unknown"}
    response = post_page(client, counselor, organisation, **empty)
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count("Ce champ est obligatoire.") == 4  # job title, contract, hours, start
    assert 'value="Hélène"' in body  # the person's fields are kept
    assert Person.objects.count() == 0


def test_a_bad_siret_or_a_missing_length_keeps_what_was_typed(client, counselor, organisation):
    response = post_page(
        client, counselor, organisation, **{"job-siret": "73282932000075", "job-contract_months": ""}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "SIRET invalide" in body
    assert "Indiquez la durée prévue" in body
    assert 'value="commis de cuisine"' in body and 'value="24.5"' in body
    assert 'value="rh@brasserie.example"' in body and 'value="Hélène"' in body
    assert (Person.objects.count(), EmploymentOutcome.objects.count()) == (0, 0)


def test_a_job_typed_for_a_job_seeker_is_refused(client, counselor, organisation):
    response = post_page(client, counselor, organisation, status="job_seeker")
    assert response.status_code == 400
    assert "ne se remplit que pour une personne salariée ou indépendante" in response.content.decode()
    assert Person.objects.count() == 0
    # a job seeker with the job left empty (wage band at its default) goes through
    empty = dict.fromkeys(JOB, "") | {"job-wage_band": "unknown"}
    assert post_page(client, counselor, organisation, status="job_seeker", **empty).status_code == 302
    assert EmploymentOutcome.objects.count() == 0


def test_the_page_shows_the_current_job_fields(client, counselor):
    client.force_login(counselor)
    body = client.get(reverse("intake:create_person")).content.decode()
    assert "Emploi actuel (personne salariée ou indépendante)" in body
    assert 'name="job-siret"' in body and 'name="job-contract_months"' in body
    title_input = re.search(r'<input[^>]*name="job-job_title"[^>]*>', body).group(0)
    assert "required" not in title_input  # asked only of an employed person


# --- API -----------------------------------------------------------------------------------------


def api_body(organisation, **overrides):
    body = {
        "first_name": "Hélène",
        "last_name": "Dupont",
        "birth_date": "1990-05-17",
        "status": "self_employed",
        "episode": {"organisation": str(organisation.public_id)},
        "current_job": {
            "job_title": "Plombier",
            "contract_type": "business",
            "weekly_hours": "40",
            "start_on": "2024-03-01",
            "siret": VALID_SIRET,
        },
    }
    body.update(overrides)
    return body


def post_api(client, counselor, body):
    client.force_login(counselor)
    return client.post(reverse("api:person_create"), json.dumps(body), content_type="application/json")


def test_api_records_the_current_job(client, counselor, organisation):
    response = post_api(client, counselor, api_body(organisation))
    assert response.status_code == 201
    outcome = EmploymentOutcome.objects.get(episode__person__public_id=response.json()["public_id"])
    assert (outcome.kind, outcome.contract_type, outcome.weekly_hours, outcome.start_on, outcome.siret) == (
        "current_job",
        "business",
        Decimal("40.0"),
        datetime.date(2024, 3, 1),
        VALID_SIRET,
    )
    assert outcome.is_durable is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"current_job": None}, "the current job is required for a person employed at entry"),
        ({"status": "job_seeker"}, "a current job is recorded only for a person employed at entry"),
    ],
)
def test_api_requires_the_job_of_an_employed_person_only(client, counselor, organisation, overrides, message):
    response = post_api(client, counselor, api_body(organisation, **overrides))
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert Person.objects.count() == 0


def test_api_refuses_a_bad_siret_or_a_fixed_term_without_length(client, counselor, organisation):
    bad_siret = api_body(organisation)
    bad_siret["current_job"]["siret"] = "73282932000075"
    response = post_api(client, counselor, bad_siret)
    assert response.status_code == 400
    assert "SIRET" in response.json()["error"]
    no_length = api_body(organisation)
    no_length["current_job"]["contract_type"] = "cdd"
    response = post_api(client, counselor, no_length)
    assert response.status_code == 400
    assert "planned length" in response.json()["error"]
    too_many_hours = api_body(organisation)
    too_many_hours["current_job"]["weekly_hours"] = "120"
    assert post_api(client, counselor, too_many_hours).status_code == 422
    assert (Person.objects.count(), EmploymentOutcome.objects.count()) == (0, 0)
