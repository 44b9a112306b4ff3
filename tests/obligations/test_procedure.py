"""Obligations and the graduated sanction procedure with the support-before-sanction check."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases import actions as case_actions
from parcours.cases.models import CaseEvent, InvalidTransition, Section
from parcours.diagnosis import actions as diagnosis_actions
from parcours.obligations import actions
from parcours.obligations.models import Decision, ProcedureStep, Status
from tests.accounts.factories import member
from tests.cases.factories import ContactFactory, EpisodeFactory
from tests.diagnosis.factories import BarrierFactory, DiagnosisFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.datetime(2026, 6, 30, 10, tzinfo=datetime.UTC)
PERIOD_START = datetime.date(2026, 5, 1)  # 61 days: two contacts expected at one per 30 days


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def supported(episode, by):
    """An episode whose promised support was delivered over the period."""
    episode.person.email = "camille@example.org"
    episode.person.save()
    for day in (5, 35):
        ContactFactory(episode=episode, occurred_at=TODAY - datetime.timedelta(days=day))
    diagnosis = DiagnosisFactory(episode=episode, completed=True)
    barrier = BarrierFactory(diagnosis=diagnosis, kind="mobility")
    diagnosis_actions.add_action(episode, by=by, goal="Passer le permis", barrier=barrier)
    actions.agree_obligations(episode, by=by, activity_hours_per_week=15, job_search_actions_per_month=4)
    return episode


def breach(episode, by):
    return actions.record_breach(
        episode,
        by=by,
        breach="Trois rendez-vous manqués",
        evidence="Convocations du 5, 12 et 19 mai",
        period_start=PERIOD_START,
    )


def test_obligations_are_versioned(episode, counselor):
    first = actions.agree_obligations(episode, by=counselor, activity_hours_per_week=15)
    second = actions.agree_obligations(episode, by=counselor, activity_hours_per_week=10)
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert first.activity_hours_per_week == 15


def test_a_breach_without_delivered_support_is_blocked_with_the_shortfalls(episode, counselor):
    actions.agree_obligations(episode, by=counselor, activity_hours_per_week=15)
    diagnosis = DiagnosisFactory(episode=episode, completed=True)
    BarrierFactory(diagnosis=diagnosis, kind="housing")
    procedure = breach(episode, counselor)
    assert procedure.status == Status.BLOCKED
    assert procedure.shortfalls == [
        "contacts: 0 over the period, 2 expected for the intensity",
        "barrier: 'housing' answered by no plan action nor referral",
    ]
    with pytest.raises(ValidationError, match="support fell short"):
        actions.send_notice(procedure, by=counselor)


def test_a_missing_diagnosis_is_a_shortfall(episode, counselor):
    actions.agree_obligations(episode, by=counselor)
    assert "diagnosis: no completed diagnosis" in breach(episode, counselor).shortfalls


def test_only_a_manager_overrides_a_blocked_procedure_with_a_reason_logged(organisation):
    manager = member(organisation, Role.MANAGER, username="mona")
    episode = EpisodeFactory(organisation=organisation, referent=manager)
    actions.agree_obligations(episode, by=manager)
    procedure = breach(episode, manager)
    assert procedure.status == Status.BLOCKED
    counselor_referent = EpisodeFactory(organisation=organisation)
    other = actions.agree_obligations(counselor_referent, by=counselor_referent.referent)
    assert other.version == 1
    blocked = breach(counselor_referent, counselor_referent.referent)
    with pytest.raises(PermissionDenied):
        actions.send_notice(blocked, by=counselor_referent.referent, override_reason="urgent")
    actions.send_notice(procedure, by=manager, override_reason="La personne a refusé tout contact")
    step = ProcedureStep.objects.get(procedure=procedure, to_status=Status.NOTICE_SENT)
    assert step.is_override is True
    procedure.refresh_from_db()
    assert procedure.override_reason == "La personne a refusé tout contact"


def test_a_procedure_goes_through_every_step_when_support_was_delivered(episode, counselor):
    supported(episode, counselor)
    procedure = breach(episode, counselor)
    assert (procedure.status, procedure.shortfalls) == (Status.BREACH, [])
    actions.send_notice(procedure, by=counselor)
    assert procedure.observations_due_on == datetime.date(2026, 7, 15)
    with pytest.raises(ValidationError, match="observations until 2026-07-15"):
        actions.decide(procedure, by=counselor, decision=Decision.WARNING, reasons="x")
    actions.record_observations(procedure, by=counselor, observations="J'étais malade")
    actions.decide(procedure, by=counselor, decision=Decision.WARNING, reasons="Absences répétées")
    actions.appeal(procedure, by=counselor)
    actions.decide(procedure, by=counselor, decision=Decision.NO_SANCTION, reasons="Certificat médical")
    actions.lift(procedure, by=counselor)
    steps = list(ProcedureStep.objects.filter(procedure=procedure).values_list("to_status", flat=True))
    assert steps == ["breach", "notice_sent", "observations", "decided", "appealed", "decided", "lifted"]
    with pytest.raises(InvalidTransition):
        actions.appeal(procedure, by=counselor)
    events = CaseEvent.objects.filter(episode=episode, data__what=actions.EVENT_PROCEDURE_STEP)
    assert set(events.values_list("section", flat=True)) == {Section.SANCTIONS}


def test_radiation_only_from_a_decided_procedure(episode, counselor):
    with pytest.raises(ValidationError, match="only from a decided sanction procedure"):
        case_actions.close_episode(episode, by=counselor, reason="sanction")
    supported(episode, counselor)
    procedure = breach(episode, counselor)
    actions.send_notice(procedure, by=counselor)
    with pytest.raises(ValidationError):
        actions.close_after_radiation(procedure, by=counselor)
    with time_machine.travel(TODAY + datetime.timedelta(days=16), tick=False):
        actions.decide(procedure, by=counselor, decision=Decision.RADIATION_1_MONTH, reasons="Aucune réponse")
        closed = actions.close_after_radiation(procedure, by=counselor)
    assert (closed.stage, closed.end_reason) == ("closed", "sanction")


def test_sanctions_are_hidden_from_colleagues(client, episode, counselor, colleague):
    supported(episode, counselor)
    breach(episode, counselor)
    url = reverse("obligations:episode", kwargs={"public_id": episode.public_id})
    client.force_login(counselor)
    assert "Trois rendez-vous manqués" in client.get(url).content.decode()
    client.force_login(colleague)
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Trois rendez-vous manqués" not in body and "Contrôle et sanctions" not in body
    with pytest.raises(PermissionDenied):
        breach(episode, colleague)


def test_blocked_notice_on_the_page_lists_the_shortfalls(client, episode, counselor):
    actions.agree_obligations(episode, by=counselor)
    procedure = breach(episode, counselor)
    client.force_login(counselor)
    response = client.post(
        reverse("obligations:step", kwargs={"procedure_id": procedure.pk, "verb": "avertissement"})
    )
    assert response.status_code == 400
    assert "diagnosis: no completed diagnosis" in response.content.decode()
    assert timezone.localdate() == datetime.date(2026, 6, 30)
