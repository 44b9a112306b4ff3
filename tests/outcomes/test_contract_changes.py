"""Contract changes after the hire (issue 13): a check-in answer saying the hours or the contract
changed with the same employer updates the outcome through outcomes.actions.change_contract,
recorded with the terms before and after; the durable-employment indicator reads the contract
valid at its horizon."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.cases.models import CaseEvent, Stage
from parcours.evaluation.indicators import compute_version, ensure_registry
from parcours.evaluation.models import Indicator
from parcours.outcomes import actions
from parcours.outcomes.models import CheckIn, ContractChange, EmploymentOutcome
from tests.cases.factories import EpisodeFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2025, 1, 10)


@pytest.fixture
def outcome(counselor, organisation):
    episode = EpisodeFactory(organisation=organisation, referent=counselor, stage=Stage.JOB_SEARCH)
    return actions.record_outcome(
        episode,
        by=counselor,
        contract_type="cdd",
        contract_months=3,
        weekly_hours=Decimal("24"),
        start_on=START,
        job_title="Vendeur",
    )


def at(outcome, months) -> CheckIn:
    return outcome.checkins.get(horizon_months=months)


def reload(outcome) -> EmploymentOutcome:
    return EmploymentOutcome.objects.get(pk=outcome.pk)


def test_a_new_contract_with_the_same_employer_updates_the_outcome_with_before_and_after(outcome, counselor):
    actions.answer_checkin(
        at(outcome, 3),
        by=counselor,
        respondent="person",
        still_employed=True,
        same_employer=True,
        weekly_hours=Decimal("35"),
        contract_type="cdi",
    )
    current = reload(outcome)
    assert (current.contract_type, current.contract_months, current.weekly_hours, current.is_durable) == (
        "cdi",
        None,
        Decimal("35.0"),
        True,
    )
    change = ContractChange.objects.get()
    assert (change.effective_on, change.checkin_id) == (datetime.date(2025, 4, 10), at(outcome, 3).pk)
    assert (
        change.before_contract_type,
        change.before_contract_months,
        change.before_weekly_hours,
        change.before_durable,
    ) == ("cdd", 3, Decimal("24.0"), False)
    assert (change.contract_type, change.contract_months, change.weekly_hours, change.durable) == (
        "cdi",
        None,
        Decimal("35.0"),
        True,
    )
    event = CaseEvent.objects.get(data__what=actions.EVENT_CONTRACT_CHANGED)
    assert (event.actor, event.data["effective_on"], event.data["before"], event.data["after"]) == (
        counselor,
        "2025-04-10",
        {"contract": "cdd", "months": 3, "hours": "24.0"},
        {"contract": "cdi", "months": None, "hours": "35.0"},
    )


def test_other_hours_only_are_a_change_and_the_same_hours_are_not(outcome, counselor):
    same = {"by": counselor, "respondent": "person", "still_employed": True, "same_employer": True}
    actions.answer_checkin(at(outcome, 1), weekly_hours=Decimal("24"), **same)
    assert ContractChange.objects.count() == 0
    actions.answer_checkin(at(outcome, 3), weekly_hours=Decimal("30"), **same)
    change = ContractChange.objects.get()
    assert (
        change.contract_type,
        change.contract_months,
        change.before_weekly_hours,
        change.weekly_hours,
    ) == (
        "cdd",
        3,
        Decimal("24.0"),
        Decimal("30.0"),
    )
    assert reload(outcome).weekly_hours == Decimal("30.0")


def test_hours_with_another_employer_change_nothing_and_a_contract_there_is_refused(outcome, counselor):
    moved = {"by": counselor, "respondent": "person", "still_employed": True, "same_employer": False}
    actions.answer_checkin(at(outcome, 1), weekly_hours=Decimal("39"), **moved)
    assert (ContractChange.objects.count(), reload(outcome).weekly_hours) == (0, Decimal("24.0"))
    with pytest.raises(ValidationError) as error:
        actions.answer_checkin(at(outcome, 3), contract_type="cdi", **moved)
    assert "only for the same job" in str(error.value)
    assert at(outcome, 3).status == CheckIn.Status.SCHEDULED  # nothing saved


def test_the_employers_answer_is_about_the_same_job(outcome, counselor):
    actions.answer_checkin(
        at(outcome, 1),
        by=None,
        respondent="employer",
        still_employed=True,
        contract_type="cdd",
        contract_months=12,
    )
    assert (reload(outcome).contract_type, reload(outcome).contract_months) == ("cdd", 12)


def test_a_fixed_term_contract_needs_its_length(outcome, counselor):
    with pytest.raises(ValidationError):
        actions.answer_checkin(
            at(outcome, 1),
            by=counselor,
            respondent="person",
            still_employed=True,
            same_employer=True,
            contract_type="temporary",
        )
    assert ContractChange.objects.count() == 0


def durable_value(code: str):
    ensure_registry()
    version = Indicator.objects.get(code=code).versions.get(formula_key="observed_employment")
    values = compute_version(
        version, datetime.date(2025, 1, 1), datetime.date(2026, 1, 1), datetime.date(2025, 12, 31)
    )
    value = next(v for v in values if v.dimension == "all" and v.granularity == "year")
    return value.numerator, value.denominator, value.n


def test_durable_employment_reads_the_contract_valid_at_its_horizon(outcome, counselor):
    """A 3-month CDD (not durable) turned into a CDI at the 6-month check-in: durable at 6 months,
    not at 3 months, although the outcome now says CDI."""
    same = {"by": counselor, "respondent": "person", "still_employed": True, "same_employer": True}
    actions.answer_checkin(at(outcome, 3), **same)
    actions.answer_checkin(at(outcome, 6), contract_type="cdi", **same)
    actions.answer_checkin(at(outcome, 12), **same)
    assert reload(outcome).contract_type == "cdi"
    assert durable_value("durable_employment_3m") == (0, 1, 1)
    assert durable_value("durable_employment_6m") == (1, 1, 1)


def test_an_earlier_checkin_answered_late_does_not_undo_a_later_change(outcome, counselor):
    same = {"by": counselor, "respondent": "person", "still_employed": True, "same_employer": True}
    actions.answer_checkin(at(outcome, 6), contract_type="cdi", **same)
    actions.answer_checkin(at(outcome, 3), weekly_hours=Decimal("28"), **same)  # answered late
    assert (reload(outcome).contract_type, reload(outcome).weekly_hours) == ("cdi", Decimal("24.0"))
    earlier = ContractChange.objects.get(effective_on=datetime.date(2025, 4, 10))
    assert (earlier.before_contract_type, earlier.contract_type, earlier.weekly_hours) == (
        "cdd",
        "cdd",
        Decimal("28.0"),
    )
    assert actions.terms_at(reload(outcome), datetime.date(2025, 5, 1)) == ("cdd", 3, Decimal("28.0"))
    assert actions.terms_at(reload(outcome), datetime.date(2025, 2, 1)) == ("cdd", 3, Decimal("24.0"))


def test_the_counselor_records_a_new_contract_on_the_page(client, outcome, counselor):
    client.force_login(counselor)
    checkin = at(outcome, 1)
    url = reverse("outcomes:answer", kwargs={"checkin_id": checkin.pk})
    prefix = f"c{checkin.pk}-"
    data = {
        f"{prefix}still_employed": "yes",
        f"{prefix}same_employer": "yes",
        f"{prefix}weekly_hours": "32",
        f"{prefix}contract_type": "cdd",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Indiquez la durée prévue du nouveau contrat." in body
    assert f'name="{prefix}weekly_hours" value="32"' in body
    response = client.post(url, {**data, f"{prefix}contract_months": "12"})
    assert response.status_code == 302
    current = reload(outcome)
    assert (current.contract_type, current.contract_months, current.weekly_hours) == (
        "cdd",
        12,
        Decimal("32.0"),
    )
    page = client.get(reverse("outcomes:episode", kwargs={"public_id": outcome.episode.public_id}))
    assert "Depuis le 10/02/2025 : CDD, 32,0 h (avant : CDD, 24,0 h)" in page.content.decode()


def test_the_api_records_a_new_contract(client, outcome, counselor):
    client.force_login(counselor)
    checkin = at(outcome, 1)
    payload = {"still_employed": True, "same_employer": True, "contract_type": "cdi"}
    response = client.post(
        f"/api/v1/checkins/{checkin.pk}/answer", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 200
    assert reload(outcome).contract_type == "cdi"
    listed = client.get(f"/api/v1/episodes/{outcome.episode.public_id}/outcomes").json()
    assert (listed[0]["contract_type"], listed[0]["is_durable"]) == ("cdi", True)
    moved = {"still_employed": True, "same_employer": False, "contract_type": "cdi"}
    response = client.post(
        f"/api/v1/checkins/{at(outcome, 3).pk}/answer", json.dumps(moved), content_type="application/json"
    )
    assert response.status_code == 400


def test_the_respondent_says_since_when_and_the_change_is_dated_then(client, outcome, counselor):
    # Issue 13: a change reported at the 6-month check-in but made in March is dated in March, so
    # the 3-month horizon reads the new contract.
    actions.answer_checkin(
        at(outcome, 6),
        by=counselor,
        respondent="counselor",
        still_employed=True,
        same_employer=True,
        contract_type="cdi",
        changed_on=datetime.date(2025, 3, 1),
    )
    change = ContractChange.objects.get()
    assert change.effective_on == datetime.date(2025, 3, 1)
    assert actions.terms_at(reload(outcome), datetime.date(2025, 4, 10))[0] == "cdi"
    assert actions.terms_at(reload(outcome), datetime.date(2025, 2, 28))[0] == "cdd"


def test_a_change_date_before_the_job_or_in_the_future_is_refused(client, outcome, counselor):
    answer = {"still_employed": True, "same_employer": True, "contract_type": "cdi"}
    with pytest.raises(ValidationError):
        actions.answer_checkin(
            at(outcome, 1),
            by=counselor,
            respondent="counselor",
            changed_on=datetime.date(2024, 12, 1),
            **answer,
        )
    assert at(outcome, 1).status == CheckIn.Status.SCHEDULED  # nothing recorded
    client.force_login(counselor)
    checkin = at(outcome, 1)
    prefix = f"c{checkin.pk}-"
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    response = client.post(
        reverse("outcomes:answer", kwargs={"checkin_id": checkin.pk}),
        {
            f"{prefix}still_employed": "yes",
            f"{prefix}same_employer": "yes",
            f"{prefix}contract_type": "cdi",
            f"{prefix}changed_on": tomorrow.isoformat(),
        },
    )
    assert response.status_code == 400
    assert "La date du changement ne peut pas être dans le futur." in response.content.decode()
    api = client.post(
        f"/api/v1/checkins/{checkin.pk}/answer",
        json.dumps({**answer, "changed_on": tomorrow.isoformat()}),
        content_type="application/json",
    )
    assert (api.status_code, api.json()) == (400, {"error": "the change cannot be in the future"})
    assert not ContractChange.objects.exists()
    ok = client.post(
        f"/api/v1/checkins/{checkin.pk}/answer",
        json.dumps({**answer, "changed_on": "2025-01-20"}),
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ContractChange.objects.get().effective_on == datetime.date(2025, 1, 20)
