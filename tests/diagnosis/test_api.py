"""JSON API of diagnosis, action plan and orientation: same actions and access rules as the pages."""

import pytest

from parcours.cases.models import AccessLog, CaseEvent, SupportEpisode
from parcours.diagnosis.models import Action, Barrier, Diagnosis, Orientation
from tests.diagnosis.conftest import FULL_ANSWERS
from tests.diagnosis.factories import BarrierFactory, DiagnosisFactory, OrientationRuleFactory

pytestmark = pytest.mark.django_db


def _url(episode, suffix=""):
    return f"/episodes/{episode.public_id}{suffix}"


def test_create_and_list_diagnoses(api, counselor, colleague, episode, questionnaire):
    response = api(counselor).post(_url(episode, "/diagnoses"), {"answers": FULL_ANSWERS})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "completed" and body["questionnaire"] == "diagnostic-initial"
    assert body["questionnaire_version"] == 1 and body["digital_autonomy"] == "none"
    assert {b["kind"] for b in body["barriers"]} == {"housing", "health"}
    assert body["answers"]["barrier_health_note"] == "Mal de dos"
    diagnosis = Diagnosis.objects.get(public_id=body["public_id"])
    assert diagnosis.answers == FULL_ANSWERS

    listed = api(colleague).get(_url(episode, "/diagnoses"))
    assert listed.status_code == 200
    [item] = listed.json()
    assert {b["kind"] for b in item["barriers"]} == {"housing"}
    assert "barrier_health" not in item["answers"] and "barrier_health_note" not in item["answers"]
    assert item["answers"]["barrier_housing"] == "high"
    assert AccessLog.objects.filter(user=colleague, route="api:diagnosis_list").exists()


def test_draft_diagnosis_through_the_api(api, counselor, episode, questionnaire):
    response = api(counselor).post(
        _url(episode, "/diagnoses"), {"answers": {"current_status": "student"}, "complete": False}
    )
    assert response.status_code == 201
    assert response.json()["status"] == "draft" and response.json()["barriers"] == []


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"favourite_colour": "blue"}, "favourite_colour: unknown question"),
        ({"current_status": "astronaut"}, "current_status"),
        ({"mobility_radius_km": 10000}, "mobility_radius_km"),
        ({"search_methods": ["offers", "pigeon"]}, "search_methods"),
        ({"skills": [{"attested_by": "X"}]}, "skills__0__label"),
    ],
)
def test_bad_answers_are_400_and_nothing_is_created(
    api, counselor, episode, questionnaire, answers, fragment
):
    response = api(counselor).post(_url(episode, "/diagnoses"), {"answers": answers})
    assert response.status_code == 400, response.content
    assert fragment in response.json()["error"]
    assert not Diagnosis.objects.exists()


def test_colleague_cannot_answer_sensitive_questions(api, colleague, episode, questionnaire):
    response = api(colleague).post(_url(episode, "/diagnoses"), {"answers": {"barrier_health": "high"}})
    assert response.status_code == 403
    assert not Diagnosis.objects.exists()


def test_diagnosis_without_loaded_questionnaire_is_400(api, counselor, episode):
    response = api(counselor).post(_url(episode, "/diagnoses"), {"answers": {}})
    assert response.status_code == 400
    assert "load-questionnaires" in response.json()["error"]


def test_outsider_gets_404_and_follower_403(api, outsider, follower, episode, questionnaire):
    for path in ("/diagnoses", "/action-plan", "/orientation"):
        assert api(outsider).get(_url(episode, path)).status_code == 404
    assert api(outsider).post(_url(episode, "/diagnoses"), {"answers": {}}).status_code == 404
    assert api(outsider).post(_url(episode, "/action-plan/actions"), {"goal": "x"}).status_code == 404
    assert api(follower).get(_url(episode, "/diagnoses")).status_code == 200
    assert api(follower).post(_url(episode, "/diagnoses"), {"answers": {}}).status_code == 403
    assert api(follower).post(_url(episode, "/action-plan/actions"), {"goal": "x"}).status_code == 403
    body = {"chosen_intensity": "guided", "chosen_approach": "sequential"}
    assert api(follower).post(_url(episode, "/orientation"), body).status_code == 403


def test_action_plan_through_the_api(api, counselor, episode, questionnaire):
    diagnosis = DiagnosisFactory(episode=episode, completed=True)
    barrier = BarrierFactory(diagnosis=diagnosis, kind="mobility")
    client = api(counselor)
    plan = client.get(_url(episode, "/action-plan")).json()
    assert plan["actions"] == []
    assert {s["key"] for s in plan["suggestions"]} == {"mobility-aid", "mobility-route"}

    accepted = client.post(
        _url(episode, "/action-plan/actions"), {"barrier": barrier.pk, "suggestion": "mobility-aid"}
    )
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["barrier"] == barrier.pk and accepted.json()["suggestion_key"] == "mobility-aid"
    created = client.post(
        _url(episode, "/action-plan/actions"),
        {"goal": "Passer le code", "owner": "person", "due_on": "2031-05-01"},
    )
    assert created.status_code == 201
    action_id = created.json()["id"]
    plan = client.get(_url(episode, "/action-plan")).json()
    assert len(plan["actions"]) == 2 and [s["key"] for s in plan["suggestions"]] == ["mobility-route"]

    patched = client.patch(
        _url(episode, f"/action-plan/actions/{action_id}"), {"status": "done", "version": 1}
    )
    assert (
        patched.status_code == 200 and patched.json()["status"] == "done" and patched.json()["version"] == 2
    )
    stale = client.patch(_url(episode, f"/action-plan/actions/{action_id}"), {"status": "todo", "version": 1})
    assert stale.status_code == 409
    assert Action.objects.get(pk=action_id).status == "done"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"goal": ""}, 400),
        ({"goal": "x", "owner": "robot"}, 422),
        ({"goal": "x", "due_on": "not a date"}, 422),
        ({"goal": "x", "barrier": 999999}, 400),
        ({"suggestion": "mobility-aid"}, 400),
        ({"goal": "x", "due_on": "1999-01-01"}, 400),
    ],
)
def test_bad_actions_are_4xx(api, counselor, episode, payload, status):
    response = api(counselor).post(_url(episode, "/action-plan/actions"), payload)
    assert response.status_code == status, response.content
    assert response.json()["error"]
    assert not Action.objects.exists()


def test_bad_status_patch_is_422_and_unknown_action_404(api, counselor, episode):
    client = api(counselor)
    action_id = client.post(_url(episode, "/action-plan/actions"), {"goal": "CV"}).json()["id"]
    assert (
        client.patch(_url(episode, f"/action-plan/actions/{action_id}"), {"status": "finished"}).status_code
        == 422
    )
    assert client.patch(_url(episode, "/action-plan/actions/999999"), {"status": "done"}).status_code == 404


def test_sensitive_action_is_hidden_in_the_api(api, counselor, colleague, episode):
    diagnosis = DiagnosisFactory(episode=episode, completed=True)
    health = BarrierFactory(diagnosis=diagnosis, kind="health")
    response = api(counselor).post(
        _url(episode, "/action-plan/actions"),
        {"barrier": health.pk, "suggestion": "health-occupational-doctor"},
    )
    assert response.status_code == 201
    plan = api(colleague).get(_url(episode, "/action-plan")).json()
    assert plan["actions"] == [] and plan["suggestions"] == []
    patch = api(colleague).patch(
        _url(episode, f"/action-plan/actions/{response.json()['id']}"), {"status": "done"}
    )
    assert patch.status_code == 404
    linked = api(colleague).post(_url(episode, "/action-plan/actions"), {"goal": "x", "barrier": health.pk})
    assert linked.status_code == 400


def test_orientation_through_the_api(api, counselor, episode, questionnaire):
    OrientationRuleFactory(
        priority=1,
        name="Logement",
        barrier_kinds=["housing"],
        suggested_intensity="global",
        suggested_approach="global",
    )
    OrientationRuleFactory(priority=2, name="Défaut")
    client = api(counselor)
    page = client.get(_url(episode, "/orientation")).json()
    assert page["suggestion"]["rule"] == "Défaut" and page["history"] == []
    client.post(_url(episode, "/diagnoses"), {"answers": {"barrier_housing": "high"}})
    page = client.get(_url(episode, "/orientation")).json()
    assert page["suggestion"] | {} == {
        "intensity": "global",
        "approach": "global",
        "rule": "Logement",
        "barrier_kinds": ["housing"],
        "barrier_count": 1,
        "digital_autonomy": "unknown",
        "score_band": None,
    }

    differs = {"chosen_intensity": "intensive", "chosen_approach": "global"}
    response = client.post(_url(episode, "/orientation"), differs)
    assert response.status_code == 400 and "reason" in response.json()["error"]
    assert client.post(_url(episode, "/orientation"), {"chosen_intensity": "loud"}).status_code == 422
    response = client.post(
        _url(episode, "/orientation"),
        {**differs, "reason": "Souhait de la personne", "services": ["Atelier CV"]},
    )
    assert response.status_code == 201
    assert response.json()["follows_suggestion"] is False and response.json()["services"] == ["Atelier CV"]
    followed = client.post(
        _url(episode, "/orientation"), {"chosen_intensity": "global", "chosen_approach": "global"}
    )
    assert followed.status_code == 201 and followed.json()["follows_suggestion"] is True
    episode = SupportEpisode.objects.get(pk=episode.pk)
    assert (episode.intensity, episode.approach) == ("global", "global")
    history = client.get(_url(episode, "/orientation")).json()["history"]
    assert [h["chosen_intensity"] for h in history] == ["global", "intensive"]
    assert CaseEvent.objects.filter(episode=episode, kind=CaseEvent.Kind.INTENSITY_CHANGED).count() == 2
    stale = client.post(
        _url(episode, "/orientation"),
        {"chosen_intensity": "follow", "chosen_approach": "global", "reason": "x", "version": 1},
    )
    assert stale.status_code == 409
    assert Orientation.objects.count() == 2


def test_api_reads_have_a_bounded_number_of_queries(
    api, counselor, episode, questionnaire, django_assert_max_num_queries
):
    client = api(counselor)
    for _ in range(5):
        client.post(_url(episode, "/diagnoses"), {"answers": FULL_ANSWERS})
    for index in range(20):
        client.post(_url(episode, "/action-plan/actions"), {"goal": f"Action {index}"})
    assert Barrier.objects.count() == 10
    with django_assert_max_num_queries(10):
        assert len(client.get(_url(episode, "/diagnoses")).json()) == 5
    with django_assert_max_num_queries(10):
        assert len(client.get(_url(episode, "/action-plan")).json()["actions"]) == 20
