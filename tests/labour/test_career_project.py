import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from parcours.cases.locking import ConcurrentEditError
from parcours.cases.models import AccessLog, CaseEvent
from parcours.diagnosis.models import Skill
from parcours.labour import actions
from parcours.labour.models import CareerProject, Occupation
from tests.labour.factories import CareerProjectFactory, TargetOccupationFactory, WorkPlacementFactory

Status = CareerProject.Status


def _whats(episode):
    return list(
        CaseEvent.objects.filter(episode=episode, kind=CaseEvent.Kind.OTHER)
        .order_by("pk")
        .values_list("data__what", flat=True)
    )


def test_project_lifecycle_records_one_case_event_per_change(rome_sample, episode, counselor):
    project = actions.start_career_project(episode, by=counselor)
    assert actions.start_career_project(episode, by=counselor) == project
    aide = Occupation.objects.get(rome_code="J1501")
    target = actions.add_target_occupation(project, by=counselor, occupation=aide)
    placement = actions.plan_work_placement(
        project,
        by=counselor,
        objective="confirm",
        occupation=aide,
        host_name="EHPAD Les Tilleuls",
        starts_on=timezone.localdate() - datetime.timedelta(days=7),
        ends_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    actions.assess_work_placement(
        placement, by=counselor, host_score=5, host_comment="Très bien", person_score=4, expected_version=1
    )
    target = actions.decide_target_occupation(
        target,
        by=counselor,
        status=Status.CONFIRMED,
        evidence="Immersion concluante",
        placements=[placement],
        expected_version=1,
    )
    assert target.status == Status.CONFIRMED and target.decided_by == counselor
    assert list(target.evidence_placements.all()) == [placement]
    assert _whats(episode) == [
        "career_project.started",
        "career_project.target_added",
        "career_project.placement_planned",
        "career_project.placement_assessed",
        "career_project.target_decided",
    ]
    decided = CaseEvent.objects.filter(data__what="career_project.target_decided").get()
    assert (
        decided.actor == counselor
        and decided.data["to"] == "confirmed"
        and decided.data["placements"] == [placement.pk]
    )


def test_decision_needs_evidence_and_a_fresh_version(db, episode, counselor):
    target = TargetOccupationFactory(project__episode=episode)
    with pytest.raises(ValidationError):
        actions.decide_target_occupation(
            target, by=counselor, status=Status.REVISED, evidence=" ", expected_version=1
        )
    with pytest.raises(ConcurrentEditError):
        actions.decide_target_occupation(
            target, by=counselor, status=Status.REVISED, evidence="x", expected_version=7
        )
    target.refresh_from_db()
    assert target.status == Status.TO_EXPLORE


def test_placement_of_another_project_cannot_support_a_decision(db, episode, counselor):
    target = TargetOccupationFactory(project__episode=episode)
    other = WorkPlacementFactory()
    with pytest.raises(ValidationError):
        actions.decide_target_occupation(
            target, by=counselor, status=Status.CONFIRMED, evidence="x", placements=[other]
        )


def test_placement_dates_and_scores_are_checked(db, episode, counselor):
    project = CareerProjectFactory(episode=episode)
    occupation = TargetOccupationFactory(project=project).occupation
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        actions.plan_work_placement(
            project,
            by=counselor,
            objective="discover",
            occupation=occupation,
            host_name="X",
            starts_on=today,
            ends_on=today - datetime.timedelta(days=1),
        )
    placement = WorkPlacementFactory(project=project, occupation=occupation)
    with pytest.raises(ValidationError):
        actions.assess_work_placement(placement, by=counselor, host_score=9, person_score=None)
    with pytest.raises(ValidationError):
        actions.assess_work_placement(placement, by=counselor, host_score=None, person_score=None)


def test_only_targets_to_explore_can_be_removed(db, episode, counselor):
    confirmed = TargetOccupationFactory(project__episode=episode, confirmed=True)
    with pytest.raises(ValidationError):
        actions.remove_target_occupation(confirmed, by=counselor)
    to_explore = TargetOccupationFactory(project=confirmed.project)
    actions.remove_target_occupation(to_explore, by=counselor)
    assert _whats(episode)[-1] == "career_project.target_removed"


# --------------------------------------------------------------------------- pages


def _url(name, episode, **kwargs):
    return reverse(f"labour:{name}", kwargs={"public_id": episode.public_id, **kwargs})


def test_outsider_gets_404_on_every_career_project_page(client, rome_sample, episode, outsider):
    target = TargetOccupationFactory(
        project__episode=episode, occupation=Occupation.objects.get(rome_code="J1501")
    )
    client.force_login(outsider)
    assert client.get(_url("career_project", episode)).status_code == 404
    assert client.get(_url("target_occupation", episode, target_id=target.pk)).status_code == 404
    assert client.post(_url("add_target", episode), {"add-occupation": "G1609"}).status_code == 404
    assert client.post(_url("start_project", episode)).status_code == 404
    assert not AccessLog.objects.filter(user=outsider).exists()


def test_follower_reads_but_cannot_change(client, rome_sample, episode, follower):
    CareerProjectFactory(episode=episode)
    client.force_login(follower)
    assert client.get(_url("career_project", episode)).status_code == 200
    assert client.post(_url("add_target", episode), {"add-occupation": "G1609"}).status_code == 403


def test_counselor_page_is_logged_and_queries_are_bounded(
    client, rome_sample, episode, counselor, django_assert_max_num_queries
):
    project = CareerProjectFactory(
        episode=episode, declared_skills=["accueillir des patients", "cuisine", "permis B"]
    )
    for code in ("J1501", "G1609", "K1303", "N1101"):
        target = TargetOccupationFactory(project=project, occupation=Occupation.objects.get(rome_code=code))
        WorkPlacementFactory(project=project, occupation=target.occupation)
    client.force_login(counselor)
    client.get(_url("career_project", episode))  # loads the artefacts into the process cache
    with django_assert_max_num_queries(30):
        response = client.get(_url("career_project", episode))
    assert response.status_code == 200
    assert "Aide-soignant / Aide-soignante" in response.content.decode()
    assert (
        AccessLog.objects.filter(person=episode.person, user=counselor, route="labour:career_project").count()
        == 2
    )


def test_target_page_shows_skills_gaps_and_neighbours(
    client, rome_sample, episode, counselor, django_assert_max_num_queries
):
    project = CareerProjectFactory(episode=episode, declared_skills=["cuisine"])
    target = TargetOccupationFactory(project=project, occupation=Occupation.objects.get(rome_code="G1602"))
    client.force_login(counselor)
    with django_assert_max_num_queries(25):
        response = client.get(_url("target_occupation", episode, target_id=target.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Cœur de métier" in body and "à acquérir" in body
    assert "D1106" in body  # mobility
    assert "Marché du travail pour G1602" in body  # the market app's panel
    assert AccessLog.objects.filter(route="labour:target_occupation").exists()


def test_forms_keep_input_on_error_and_refuse_stale_versions(client, rome_sample, episode, counselor):
    project = CareerProjectFactory(episode=episode)
    client.force_login(counselor)
    response = client.post(
        _url("add_target", episode), {"add-occupation": "Z9999", "add-status": "to_explore"}
    )
    assert response.status_code == 400
    assert 'value="Z9999"' in response.content.decode()
    response = client.post(
        _url("update_skills", episode), {"skills-skills": "cuisine\npermis B", "skills-version": 5}
    )
    assert response.status_code == 409
    assert "cuisine\npermis B" in response.content.decode()
    project.refresh_from_db()
    assert project.declared_skills == []
    response = client.post(
        _url("update_skills", episode), {"skills-skills": "cuisine\npermis B", "skills-version": 1}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.declared_skills == ["cuisine", "permis B"]


def test_counselor_adds_and_decides_a_target_through_the_page(client, rome_sample, episode, counselor):
    client.force_login(counselor)
    client.post(_url("start_project", episode))
    assert (
        client.post(
            _url("add_target", episode), {"add-occupation": "j1501", "add-status": "to_explore"}
        ).status_code
        == 302
    )
    target = episode.career_project.targets.get()
    response = client.post(
        _url("decide_target", episode, target_id=target.pk),
        {
            f"decide{target.pk}-status": "revised",
            f"decide{target.pk}-evidence": "Horaires de nuit incompatibles",
            f"decide{target.pk}-version": 1,
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == Status.REVISED


def test_occupation_search_and_detail(client, rome_sample, counselor):
    client.force_login(counselor)
    response = client.get(reverse("labour:occupation_search"), {"q": "aide soignante"})
    assert response.status_code == 200
    assert response.context["results"][0][0].rome_code == "J1501"
    assert client.get(reverse("labour:occupation_search")).context["page"].paginator.count == 25
    response = client.get(reverse("labour:occupation_detail", kwargs={"rome_code": "J1501"}))
    assert response.status_code == 200 and "Appellations" in response.content.decode()


# --------------------------------------------------------------------------- API


def _auth(client, user):
    client.force_login(user)
    return client


def test_api_career_project_round_trip(client, rome_sample, episode, counselor):
    api = _auth(client, counselor)
    base = f"/api/v1/episodes/{episode.public_id}/career-project"
    assert api.post(base).status_code == 201
    response = api.put(
        f"{base}/skills",
        {"skills": ["cuisine", "Cuisine", "permis B"], "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["declared_skills"] == ["cuisine", "permis B"]
    target = api.post(f"{base}/targets", {"rome_code": "G1609"}, content_type="application/json").json()
    stale = api.post(
        f"{base}/targets/{target['id']}/decision",
        {"status": "confirmed", "evidence": "ok", "version": 9},
        content_type="application/json",
    )
    assert stale.status_code == 409
    decided = api.post(
        f"{base}/targets/{target['id']}/decision",
        {"status": "confirmed", "evidence": "ok", "version": 1},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "confirmed"
    project = api.get(base).json()
    assert project["targets"][0]["status"] == "confirmed"
    assert any(item for skill in project["skills"] for item in skill["items"])


def test_api_hides_projects_from_outsiders_and_normalises_titles(client, rome_sample, episode, outsider):
    CareerProjectFactory(episode=episode)
    api = _auth(client, outsider)
    assert api.get(f"/api/v1/episodes/{episode.public_id}/career-project").status_code == 404
    response = api.post(
        "/api/v1/normalise", {"titles": ["cuisinière"], "top": 2}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()[0]["results"][0]["code"] == "G1609"
    assert api.get("/api/v1/occupations/J1501").json()["skills"]


def test_pages_show_informal_skills_as_evidence(client, rome_sample, episode, counselor):
    Skill.objects.create(
        person=episode.person, label="aider les enfants à faire leurs devoirs", source=Skill.Source.FAMILY
    )
    project = CareerProjectFactory(episode=episode)
    target = TargetOccupationFactory(project=project, occupation=Occupation.objects.get(rome_code="K1303"))
    client.force_login(counselor)
    page = client.get(_url("career_project", episode)).content.decode()
    assert "D'après les compétences de la personne" in page
    assert (
        '« aider les enfants à faire leurs devoirs » <span class="badge">informelle : vie familiale</span>'
        in page
    )
    assert "dont 1 compétence informelle" in page
    detail = client.get(_url("target_occupation", episode, target_id=target.pk)).content.decode()
    assert "d'après</span> « aider les enfants à faire leurs devoirs »" in detail
    api = client.get(f"/api/v1/episodes/{episode.public_id}/career-project")
    assert api.status_code == 200
    assert [(s["label"], s["informal"]) for s in api.json()["skills"]] == [
        ("aider les enfants à faire leurs devoirs", True)
    ]
