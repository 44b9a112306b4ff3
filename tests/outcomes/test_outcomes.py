"""Employment outcomes: a job recorded moves the episode to EMPLOYED and schedules the check-ins;
SIRET check digit; contract length; occupation through the normaliser; page and API access."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.cases.models import AccessLog, CaseEvent, Stage
from parcours.outcomes import actions
from parcours.outcomes.models import CheckIn, CheckInPolicy, EmploymentOutcome, validate_siret
from tests.cases.factories import EpisodeFactory

pytestmark = pytest.mark.django_db

VALID_SIRET = "73282932000074"  # a published SIRET; its Luhn check digit is right


# A valid job as typed in the page's form.
FORM = {
    "kind": "hire",
    "contract_type": "cdi",
    "weekly_hours": "35",
    "start_on": "2026-03-02",
    "job_title": "Cuisinier",
    "wage_band": "smic",
    "source": "counselor",
    "reported_on": "2026-03-01",
    "siret": VALID_SIRET,
}


@pytest.fixture
def searching(counselor, organisation):
    return EpisodeFactory(organisation=organisation, referent=counselor, stage=Stage.JOB_SEARCH)


def record(episode, by, **overrides):
    values = {
        "contract_type": "cdd",
        "contract_months": 6,
        "weekly_hours": Decimal("35"),
        "start_on": datetime.date(2026, 1, 31),
        "job_title": "Serveur",
        "siret": VALID_SIRET,
    }
    return actions.record_outcome(episode, by=by, **{**values, **overrides})


def test_recording_a_hire_moves_the_episode_to_employed_and_schedules_four_checkins(searching, counselor):
    outcome = record(searching, counselor)
    searching.refresh_from_db()
    assert searching.stage == Stage.EMPLOYED
    dues = list(outcome.checkins.values_list("horizon_months", "due_on"))
    # 31 January + 1 month is the last day of February (2026 is not a leap year)
    assert dues == [
        (1, datetime.date(2026, 2, 28)),
        (3, datetime.date(2026, 4, 30)),
        (6, datetime.date(2026, 7, 31)),
        (12, datetime.date(2027, 1, 31)),
    ]
    event = CaseEvent.objects.get(episode=searching, data__what=actions.EVENT_OUTCOME_RECORDED)
    assert event.data["outcome"] == outcome.pk and event.data["contract"] == "cdd"


def test_horizons_follow_the_organisation_policy(searching, counselor, organisation):
    CheckInPolicy.objects.create(organisation=organisation, horizons=[2, 6])
    outcome = record(searching, counselor)
    assert list(outcome.checkins.values_list("horizon_months", flat=True)) == [2, 6]


def test_a_job_held_at_intake_changes_no_stage_and_schedules_nothing(episode, counselor):
    outcome = record(episode, counselor, kind=EmploymentOutcome.Kind.CURRENT_JOB)
    episode.refresh_from_db()
    assert (episode.stage, outcome.checkins.count()) == ("welcome", 0)


def test_a_hire_from_a_stage_that_cannot_reach_employed_is_refused_and_nothing_is_saved(episode, counselor):
    with pytest.raises(ValidationError, match="cannot move to 'employed' from its stage 'welcome'"):
        record(episode, counselor)
    assert EmploymentOutcome.objects.count() == 0


def test_siret_with_a_wrong_check_digit_is_refused():
    validate_siret(VALID_SIRET)
    with pytest.raises(ValidationError, match="SIRET invalide"):
        validate_siret("73282932000075")
    with pytest.raises(ValidationError, match="SIRET invalide"):
        validate_siret("1234")


def test_fixed_term_contract_needs_its_length(searching, counselor):
    with pytest.raises(ValidationError) as error:
        record(searching, counselor, contract_months=None)
    assert "contract_months" in error.value.message_dict


@pytest.mark.parametrize(
    ("contract", "months", "durable"),
    [
        ("cdi", None, True),
        ("cdd", 6, True),
        ("cdd", 5, False),
        ("temporary", 6, True),
        ("business", None, True),
    ],
)
def test_durable_employment_definition(contract, months, durable):
    assert EmploymentOutcome(contract_type=contract, contract_months=months).is_durable is durable


def test_occupation_comes_from_the_job_title_normaliser(searching, counselor, rome_sample):
    outcome = record(searching, counselor, job_title="commis de cuisine")
    assert outcome.rome_code == "G1602"


def test_without_a_referential_the_occupation_stays_empty(searching, counselor):
    assert record(searching, counselor).rome_code == ""


def test_counselor_records_a_job_on_the_page(client, searching, counselor):
    client.force_login(counselor)
    url = reverse("outcomes:record", kwargs={"public_id": searching.public_id})
    data = FORM
    response = client.post(url, data)
    assert response.status_code == 302
    assert CheckIn.objects.filter(outcome__episode=searching).count() == 4


def test_a_bad_siret_on_the_page_answers_400_and_keeps_the_input(client, searching, counselor):
    client.force_login(counselor)
    url = reverse("outcomes:record", kwargs={"public_id": searching.public_id})
    data = {**FORM, "siret": "73282932000075"}
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "SIRET invalide" in body and 'value="Cuisinier"' in body
    assert EmploymentOutcome.objects.count() == 0


def test_episode_page_is_logged_and_hidden_from_outsiders(client, searching, counselor, outsider):
    record(searching, counselor)
    url = reverse("outcomes:episode", kwargs={"public_id": searching.public_id})
    client.force_login(counselor)
    response = client.get(url)
    assert response.status_code == 200
    assert "Serveur" in response.content.decode()
    assert AccessLog.objects.filter(route="outcomes:episode").count() == 1
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_api_records_and_lists_outcomes(client, searching, counselor):
    client.force_login(counselor)
    url = f"/api/v1/episodes/{searching.public_id}/outcomes"
    payload = {"contract_type": "cdi", "weekly_hours": "24", "start_on": "2026-02-01", "job_title": "Vendeur"}
    response = client.post(url, payload, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["is_durable"] is True
    listed = client.get(url).json()
    assert [len(o["checkins"]) for o in listed] == [4]


def test_api_answers_400_for_a_bad_siret(client, searching, counselor):
    client.force_login(counselor)
    payload = {
        "contract_type": "cdi",
        "weekly_hours": "24",
        "start_on": "2026-02-01",
        "job_title": "Vendeur",
        "siret": "11111111111111",
    }
    response = client.post(
        f"/api/v1/episodes/{searching.public_id}/outcomes", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert "SIRET" in response.json()["error"]


def test_due_list_shows_late_checkins_with_a_bounded_number_of_queries(
    client, searching, counselor, django_assert_max_num_queries
):
    record(searching, counselor, start_on=datetime.date(2020, 1, 1))
    client.force_login(counselor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("outcomes:due"))
    assert response.status_code == 200
    assert response.content.decode().count('class="badge overdue"') == 4
