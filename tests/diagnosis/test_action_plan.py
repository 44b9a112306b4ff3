"""Action plan: barriers suggest actions from the data table, accepted in one click; actions are
added, edited and marked done through actions that record CaseEvents."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from parcours.cases import access
from parcours.cases.models import CaseEvent, Section
from parcours.diagnosis import actions
from parcours.diagnosis.models import Action, ActionPlan
from parcours.diagnosis.questionnaire import QuestionnaireError
from parcours.diagnosis.suggestions import suggestion_table, validate_suggestions
from tests.diagnosis.factories import BarrierFactory, DiagnosisFactory

pytestmark = pytest.mark.django_db


def _barrier(episode, kind="housing"):
    diagnosis = DiagnosisFactory(episode=episode, completed=True)
    return BarrierFactory(diagnosis=diagnosis, kind=kind)


def test_suggestion_table_is_valid_and_bilingual():
    table = suggestion_table()
    assert {"housing", "health", "mobility"} <= set(table)
    with pytest.raises(QuestionnaireError, match="unknown barrier kind"):
        validate_suggestions({"weather": []})


def test_barrier_suggests_actions_accepted_in_one_click(client, counselor, episode, questionnaire):
    barrier = _barrier(episode, "housing")
    url = reverse("diagnosis:action_plan", args=[episode.public_id])
    client.force_login(counselor)
    page = client.get(url).content.decode()
    assert "Orienter vers un travailleur social pour la situation de logement" in page
    response = client.post(
        reverse("diagnosis:accept_suggestion", args=[episode.public_id]),
        {"barrier": barrier.pk, "key": "housing-social-worker"},
    )
    assert response.status_code == 302
    action = Action.objects.get()
    assert action.plan == ActionPlan.objects.get(episode=episode)
    assert (action.barrier, action.owner, action.suggestion_key) == (
        barrier,
        "counselor",
        "housing-social-worker",
    )
    assert action.due_on == timezone.localdate() + datetime.timedelta(days=15)
    event = CaseEvent.objects.get(data__what="plan_action_added")
    assert event.data["suggestion"] == "housing-social-worker" and event.actor == counselor
    page = client.get(url).content.decode()
    plan, offered = page.split('id="suggestions-title"')
    assert "<td>Orienter vers un travailleur social pour la situation de logement" in plan
    assert "Orienter vers un travailleur social" not in offered  # no longer offered
    assert "Déposer ou renouveler une demande de logement social" in offered
    with pytest.raises(ValidationError):
        actions.accept_suggested_action(episode, by=counselor, barrier=barrier, key="housing-social-worker")
    with pytest.raises(ValidationError):
        actions.accept_suggested_action(episode, by=counselor, barrier=barrier, key="mobility-aid")


def test_suggestion_in_english(counselor, episode, questionnaire):
    barrier = _barrier(episode, "language")
    action = actions.accept_suggested_action(
        episode, by=counselor, barrier=barrier, key="language-course", language="en"
    )
    assert action.goal == "Enrol in a French or basic skills course"


def test_barrier_of_another_episode_cannot_be_linked(counselor, episode, questionnaire):
    from tests.cases.factories import EpisodeFactory

    other = EpisodeFactory(organisation=episode.organisation, referent=counselor)
    barrier = _barrier(other)
    with pytest.raises(ValidationError):
        actions.add_action(episode, by=counselor, goal="x", barrier=barrier)


def test_add_action_form_keeps_input_on_error(client, counselor, episode, questionnaire):
    client.force_login(counselor)
    url = reverse("diagnosis:action_plan", args=[episode.public_id])
    response = client.post(
        url, {"goal": "", "owner": "person", "due_on": "pas une date", "career_goal": "Cariste"}
    )
    assert response.status_code == 400
    assert 'value="Cariste"' in response.content.decode()
    response = client.post(
        url, {"goal": "Passer le CACES", "owner": "person", "due_on": "2030-01-31", "career_goal": "Cariste"}
    )
    assert response.status_code == 302
    action = Action.objects.get()
    assert (action.goal, str(action.due_on), action.career_goal, action.status) == (
        "Passer le CACES",
        "2030-01-31",
        "Cariste",
        "todo",
    )


def test_mark_action_done_with_and_without_htmx(client, counselor, episode, questionnaire):
    first = actions.add_action(episode, by=counselor, goal="Écrire une lettre")
    second = actions.add_action(episode, by=counselor, goal="Appeler la CAF")
    client.force_login(counselor)
    response = client.post(
        reverse("diagnosis:change_action_status", args=[episode.public_id, first.pk]),
        {"status": "done", "version": 1},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("diagnosis:change_action_status", args=[episode.public_id, second.pk]),
        {"status": "in_progress", "version": 1},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith(f'<tr id="action-{second.pk}"') and "<html" not in fragment
    assert list(Action.objects.order_by("pk").values_list("status", flat=True)) == ["done", "in_progress"]
    event = CaseEvent.objects.filter(data__what="plan_action_updated").order_by("pk").first()
    assert event.data["status"] == {"from": "todo", "to": "done"}


def test_stale_status_change_is_refused(client, counselor, colleague, episode, questionnaire):
    action = actions.add_action(episode, by=counselor, goal="Écrire une lettre")
    actions.change_action_status(action, by=colleague, status="dropped")
    client.force_login(counselor)
    response = client.post(
        reverse("diagnosis:change_action_status", args=[episode.public_id, action.pk]),
        {"status": "done", "version": 1},
    )
    assert response.status_code == 302
    assert Action.objects.get().status == "dropped"


def test_edit_action_conflict_keeps_input(client, counselor, colleague, episode, questionnaire):
    action = actions.add_action(episode, by=counselor, goal="Écrire une lettre")
    url = reverse("diagnosis:edit_action", args=[episode.public_id, action.pk])
    client.force_login(counselor)
    assert 'value="Écrire une lettre"' in client.get(url).content.decode()
    actions.update_action(action, by=colleague, goal="Écrire deux lettres")
    data = {
        "version": 1,
        "goal": "Écrire trois lettres",
        "owner": "person",
        "status": "todo",
        "due_on": "",
        "career_goal": "",
    }
    response = client.post(url, data)
    assert response.status_code == 409
    assert 'value="Écrire trois lettres"' in response.content.decode()
    assert Action.objects.get().goal == "Écrire deux lettres"
    response = client.post(url, {**data, "version": 2})
    assert response.status_code == 302
    assert Action.objects.get().goal == "Écrire trois lettres"


def test_action_about_a_health_barrier_is_hidden_from_a_colleague(
    client, counselor, colleague, episode, questionnaire
):
    health = _barrier(episode, "health")
    action = actions.accept_suggested_action(
        episode, by=counselor, barrier=health, key="health-occupational-doctor"
    )
    assert action.section == Section.HEALTH
    actions.add_action(episode, by=counselor, goal="Faire un CV")
    client.force_login(colleague)
    page = client.get(reverse("diagnosis:action_plan", args=[episode.public_id])).content.decode()
    assert "Faire un CV" in page
    assert "médecin" not in page and "RQTH" not in page
    assert (
        client.get(reverse("diagnosis:edit_action", args=[episode.public_id, action.pk])).status_code == 404
    )
    assert (
        client.post(
            reverse("diagnosis:change_action_status", args=[episode.public_id, action.pk]), {"status": "done"}
        ).status_code
        == 404
    )
    assert access.events(colleague).filter(data__what="plan_action_added").count() == 1


def test_action_plan_page_has_a_bounded_number_of_queries(
    client, counselor, colleague, episode, questionnaire, django_assert_max_num_queries
):
    for kind in ("housing", "mobility", "finances"):
        barrier = _barrier(episode, kind)
    for index in range(30):
        actions.add_action(
            episode, by=counselor, goal=f"Action {index}", barrier=barrier if index % 2 else None
        )
    url = reverse("diagnosis:action_plan", args=[episode.public_id])
    for user in (counselor, colleague):
        client.force_login(user)
        with django_assert_max_num_queries(12):
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count('<tr id="action-') == 30
