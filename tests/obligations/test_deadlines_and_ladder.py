"""The ladder configurable per organisation, the deadlines enforced by the periodic job
(`parcours obligations run-deadlines`) with a frozen clock, every step through the API, and the
person's side in the portal (commitments, procedures, observations, appeal)."""

import datetime
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from parcours.cases.models import CaseEvent
from parcours.messaging.models import OutboundMessage
from parcours.obligations import actions
from parcours.obligations.models import Decision, ProcedureStep, SanctionLadder, SanctionProcedure, Status
from tests.obligations.test_procedure import PERIOD_START, TODAY, breach, supported
from tests.portal.factories import PersonAccountFactory, log_in_person
from tests.text import mentions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def at(day: datetime.date):
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC), tick=False
    )


def test_the_default_ladder_applies_without_a_row(episode, counselor):
    supported(episode, counselor)
    procedure = breach(episode, counselor)
    actions.send_notice(procedure, by=counselor)
    actions.record_observations(procedure, by=counselor, observations="Rien à dire")
    actions.decide(
        procedure, by=counselor, decision=Decision.RADIATION_2_MONTHS, reasons="Deuxième manquement"
    )
    procedure.refresh_from_db()
    assert (procedure.decision_label, procedure.radiation_months) == (
        "Radiation de deux mois (deuxième manquement)",
        2,
    )
    assert procedure.is_radiation and procedure.appeal_due_on == datetime.date(2026, 8, 29)


def test_an_organisation_configures_its_ladder_and_time_limits(episode, counselor, organisation):
    ladder = SanctionLadder(
        organisation=organisation,
        steps=[
            {"code": "suspension_30", "label": "Suspension-remobilisation (30 jours)", "radiation_months": 0},
            {"code": "radiation_3", "label": "Radiation de trois mois", "radiation_months": 3},
        ],
        observation_days=10,
        appeal_days=30,
    )
    ladder.full_clean()
    ladder.save()
    supported(episode, counselor)
    procedure = breach(episode, counselor)
    actions.send_notice(procedure, by=counselor)
    assert procedure.observations_due_on == datetime.date(2026, 7, 10)
    actions.record_observations(procedure, by=counselor, observations="x")
    with pytest.raises(ValidationError, match="unknown decision 'radiation_1'"):
        actions.decide(procedure, by=counselor, decision="radiation_1", reasons="x")
    actions.decide(procedure, by=counselor, decision="suspension_30", reasons="Premier manquement")
    procedure.refresh_from_db()
    assert (procedure.decision_display, procedure.radiation_months, procedure.is_radiation) == (
        "Suspension-remobilisation (30 jours)",
        0,
        False,
    )
    assert procedure.appeal_due_on == datetime.date(2026, 7, 30)
    with pytest.raises(ValidationError, match="only a procedure decided with a radiation"):
        actions.close_after_radiation(procedure, by=counselor)
    # the page offers the organisation's ladder
    page = None
    from django.test import Client

    client = Client()
    client.force_login(counselor)
    page = client.get(
        reverse("obligations:episode", kwargs={"public_id": episode.public_id})
    ).content.decode()
    assert 'value="suspension_30"' in page and 'value="radiation_1"' not in page


@pytest.mark.parametrize(
    "steps, message",
    [
        ([{"code": "a b", "label": "x", "radiation_months": 0}], "Code invalide : a b"),
        ([{"code": "warning", "label": "x", "radiation_months": 0}], "Code invalide : warning"),
        ([{"code": "a", "label": "x", "radiation_months": 1}] * 2, "Code en double : a"),
        ([{"code": "a", "label": "", "radiation_months": 1}], "Chaque échelon a un libellé."),
        (
            [{"code": "a", "label": "x", "radiation_months": 30}],
            "radiation_months : un nombre de mois entre 0 et 24.",
        ),
        ([{"code": "a", "label": "x"}], "Chaque échelon a exactement code, label et radiation_months."),
    ],
)
def test_a_wrong_ladder_is_refused(organisation, steps, message):
    with pytest.raises(ValidationError) as caught:
        SanctionLadder(organisation=organisation, steps=steps).full_clean()
    assert caught.value.message_dict["steps"] == [message]


def test_the_deadlines_job_marks_expired_observations_then_final_decisions(episode, counselor):
    supported(episode, counselor)
    procedure = breach(episode, counselor)
    actions.send_notice(procedure, by=counselor)  # observations until 15 July included
    assert OutboundMessage.objects.filter(
        person=episode.person, dedupe_key=f"sanction-{procedure.pk}-notice"
    ).exists()
    assert actions.run_deadlines(today=datetime.date(2026, 7, 15)) == {
        "observations_expired": 0,
        "decisions_final": 0,
    }
    with at(datetime.date(2026, 7, 16)):
        out = call_command_json("run-deadlines")
        assert out == {"observations_expired": 1, "decisions_final": 0}
        assert call_command_json("run-deadlines") == {"observations_expired": 0, "decisions_final": 0}
        procedure.refresh_from_db()
        assert procedure.observations_expired_on == datetime.date(2026, 7, 16)
        referent_mail = OutboundMessage.objects.get(
            dedupe_key=f"sanction-{procedure.pk}-observations-expired"
        )
        assert referent_mail.user == counselor and not mentions(referent_mail.body, episode.person.last_name)
        actions.decide(procedure, by=counselor, decision=Decision.WARNING, reasons="Aucune observation")
    procedure.refresh_from_db()
    assert procedure.appeal_due_on == datetime.date(2026, 9, 14)
    assert actions.run_deadlines(today=datetime.date(2026, 9, 14))["decisions_final"] == 0
    with at(datetime.date(2026, 9, 15)):
        with pytest.raises(ValidationError, match="time limit for an appeal was 2026-09-14"):
            actions.appeal(procedure, by=counselor)
        assert actions.run_deadlines() == {"observations_expired": 0, "decisions_final": 1}
    procedure.refresh_from_db()
    assert procedure.final_on == datetime.date(2026, 9, 15)
    whats = list(
        CaseEvent.objects.filter(episode=episode, actor__isnull=True, data__procedure=procedure.pk)
        .order_by("pk")
        .values_list("data__what", flat=True)
    )
    assert whats == [actions.EVENT_OBSERVATIONS_EXPIRED, actions.EVENT_DECISION_FINAL]


def call_command_json(verb, *args):
    from io import StringIO

    out = StringIO()
    call_command("obligations", verb, "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_every_step_through_the_api(client, episode, counselor):
    supported(episode, counselor)
    client.force_login(counselor)
    created = client.post(
        f"/api/v1/episodes/{episode.public_id}/sanction-procedures",
        {"breach": "Absences", "evidence": "Convocations", "period_start": PERIOD_START.isoformat()},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["status"] == "breach"
    url = f"/api/v1/sanction-procedures/{created.json()['id']}/steps"

    def step(**body):
        return client.post(url, body, content_type="application/json")

    assert step(step="notice").json()["observations_due_on"] == "2026-07-15"
    early = step(step="decision", decision="warning", reasons="x")
    assert early.status_code == 400 and "observations until 2026-07-15" in early.json()["error"]
    assert step(step="observations", observations="J'étais malade").status_code == 200
    decided = step(step="decision", decision="radiation_1", reasons="Premier manquement").json()
    assert (decided["status"], decided["radiation_months"], decided["appeal_due_on"]) == (
        "decided",
        1,
        "2026-08-29",
    )
    assert step(step="appeal").json()["status"] == "appealed"
    assert step(step="lift").status_code == 409
    assert step(step="decision", decision="radiation_1", reasons="Confirmée").status_code == 200
    assert step(step="nope").status_code == 400
    detail = client.get(f"/api/v1/sanction-procedures/{created.json()['id']}").json()
    assert [s["to_status"] for s in detail["steps"]] == [
        "breach",
        "notice_sent",
        "observations",
        "decided",
        "appealed",
        "decided",
    ]
    assert step(step="close").status_code == 200
    episode.refresh_from_db()
    assert episode.end_reason == "sanction"


def test_the_api_hides_procedures_from_colleagues(client, episode, counselor, colleague):
    supported(episode, counselor)
    procedure = breach(episode, counselor)
    client.force_login(colleague)
    assert client.get(f"/api/v1/sanction-procedures/{procedure.pk}").status_code == 404
    response = client.post(
        f"/api/v1/sanction-procedures/{procedure.pk}/steps",
        {"step": "withdraw"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_the_person_sees_commitments_and_procedure_and_answers_in_the_portal(
    client, episode, counselor, django_assert_max_num_queries
):
    supported(episode, counselor)
    procedure = breach(episode, counselor)
    actions.send_notice(procedure, by=counselor)
    log_in_person(client, PersonAccountFactory(person=episode.person))
    with django_assert_max_num_queries(8):
        page = client.get(reverse("portal:obligations"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "15 heures d'activité par semaine" in body and "Trois rendez-vous manqués" in body
    assert "Convocations du 5, 12 et 19 mai" in body and "15 juillet 2026" in body
    url = reverse("portal:send_observations", args=[procedure.pk])
    assert client.post(url, {"observations": ""}).status_code == 400
    assert client.post(url, {"observations": "J'étais hospitalisé"}).status_code == 302
    step = ProcedureStep.objects.get(procedure=procedure, to_status=Status.OBSERVATIONS)
    assert (step.by, step.by_person) == (None, True)
    procedure.refresh_from_db()
    actions.decide(procedure, by=counselor, decision=Decision.WARNING, reasons="Absences répétées")
    appeal_url = reverse("portal:appeal", args=[procedure.pk])
    assert client.post(appeal_url, {"reasons": "J'ai un certificat"}).status_code == 302
    procedure.refresh_from_db()
    assert procedure.status == Status.APPEALED and "Recours : J'ai un certificat" in procedure.observations
    assert client.post(appeal_url, {"reasons": "encore"}).status_code == 400


def test_the_person_cannot_send_observations_after_the_deadline_nor_touch_another_file(
    client, episode, counselor
):
    supported(episode, counselor)
    procedure = breach(episode, counselor)
    actions.send_notice(procedure, by=counselor)
    from tests.cases.factories import EpisodeFactory

    stranger = EpisodeFactory(organisation=episode.organisation, referent=counselor)
    log_in_person(client, PersonAccountFactory(person=stranger.person))
    url = reverse("portal:send_observations", args=[procedure.pk])
    assert client.post(url, {"observations": "x"}).status_code == 404
    assert "Trois rendez-vous" not in client.get(reverse("portal:obligations")).content.decode()
    with at(datetime.date(2026, 7, 16)):
        client.cookies.clear()  # the stranger's session expired meanwhile
        log_in_person(client, PersonAccountFactory(person=episode.person))
        late = client.post(url, {"observations": "trop tard"})
    assert (
        late.status_code == 400
        and SanctionProcedure.objects.get(pk=procedure.pk).status == Status.NOTICE_SENT
    )
