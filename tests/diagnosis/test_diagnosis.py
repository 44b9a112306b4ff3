"""Diagnosis pages and actions: filling section by section, barriers, skills, digital exclusion,
sensitive sections, access. Personas: tests/conftest.py."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from parcours.cases.models import AccessLog, CaseEvent, Section
from parcours.diagnosis import actions
from parcours.diagnosis.models import Barrier, Diagnosis, Skill
from parcours.people.models import Channel, DigitalAutonomy
from tests.diagnosis.conftest import FULL_ANSWERS
from tests.diagnosis.factories import DiagnosisFactory

pytestmark = pytest.mark.django_db


def _answer_all(diagnosis, by, answers=FULL_ANSWERS):
    ids_by_section = {s["id"]: {qu["id"] for qu in s["questions"]} for s in diagnosis.definition["sections"]}
    for section_id, ids in ids_by_section.items():
        part = {k: v for k, v in answers.items() if k in ids}
        if part:
            diagnosis = actions.save_answers(diagnosis, by=by, section_id=section_id, answers=part)
    return diagnosis


def _completed(episode, by, answers=FULL_ANSWERS):
    diagnosis = _answer_all(actions.start_diagnosis(episode, by=by), by, answers)
    return actions.complete_diagnosis(diagnosis, by=by)


def test_counselor_fills_the_questionnaire_one_section_at_a_time(client, counselor, episode, questionnaire):
    client.force_login(counselor)
    response = client.post(reverse("diagnosis:start", args=[episode.public_id]))
    diagnosis = Diagnosis.objects.get(episode=episode)
    assert response["Location"] == reverse(
        "diagnosis:fill_section", args=[episode.public_id, diagnosis.public_id, 1]
    )
    response = client.post(
        response["Location"], {"version": 1, "current_status": "job_seeker", "status_since": "2024-02-01"}
    )
    assert response["Location"].endswith("/rubriques/2/")
    response = client.post(
        reverse("diagnosis:fill_section", args=[episode.public_id, diagnosis.public_id, 9]),
        {
            "version": 2,
            "skills__0__label": "Cuisine pour 20 personnes",
            "skills__0__source": "family",
            "skills__1__label": "",
        },
    )
    assert response["Location"].endswith("#terminer")
    diagnosis.refresh_from_db()
    assert diagnosis.answers == {
        "current_status": "job_seeker",
        "status_since": "2024-02-01",
        "skills": [{"label": "Cuisine pour 20 personnes", "source": "family"}],
    }
    response = client.post(reverse("diagnosis:complete", args=[episode.public_id, diagnosis.public_id]))
    assert response.status_code == 302
    diagnosis.refresh_from_db()
    assert diagnosis.is_completed
    skill = Skill.objects.get(person=episode.person)
    assert (skill.label, skill.source, skill.is_formal) == ("Cuisine pour 20 personnes", "family", False)
    whats = list(CaseEvent.objects.filter(episode=episode).values_list("data__what", flat=True))
    assert {"diagnosis_started", "diagnosis_answers_saved", "diagnosis_completed"} <= set(whats)


def test_bad_answers_keep_what_was_typed(client, counselor, episode, questionnaire):
    diagnosis = actions.start_diagnosis(episode, by=counselor)
    client.force_login(counselor)
    url = reverse("diagnosis:fill_section", args=[episode.public_id, diagnosis.public_id, 5])
    response = client.post(url, {"version": 1, "wanted_occupations": "Soudeur", "mobility_radius_km": "9999"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Soudeur" in page and 'value="9999"' in page
    assert Diagnosis.objects.get(pk=diagnosis.pk).answers == {}


def test_skill_details_without_a_label_are_an_error(client, counselor, episode, questionnaire):
    diagnosis = actions.start_diagnosis(episode, by=counselor)
    client.force_login(counselor)
    url = reverse("diagnosis:fill_section", args=[episode.public_id, diagnosis.public_id, 9])
    response = client.post(url, {"version": 1, "skills__0__attested_by": "Mme Durand"})
    assert response.status_code == 400
    assert "Indiquez la compétence." in response.content.decode()


def test_concurrent_edit_of_a_section_is_not_overwritten(
    client, counselor, colleague, episode, questionnaire
):
    diagnosis = actions.start_diagnosis(episode, by=counselor)
    actions.save_answers(
        diagnosis, by=colleague, section_id="situation", answers={"current_status": "employed"}
    )
    client.force_login(counselor)
    url = reverse("diagnosis:fill_section", args=[episode.public_id, diagnosis.public_id, 1])
    response = client.post(url, {"version": 1, "current_status": "student"})
    assert response.status_code == 409
    assert 'value="student" id="id_current_status_3" checked' in response.content.decode()
    assert Diagnosis.objects.get(pk=diagnosis.pk).answers == {"current_status": "employed"}
    assert 'name="version" value="2"' in response.content.decode()


def test_completing_derives_barriers_with_their_sections(counselor, episode, questionnaire):
    diagnosis = _completed(episode, counselor)
    barriers = {b.kind: b for b in Barrier.objects.filter(diagnosis=diagnosis)}
    assert set(barriers) == {"housing", "health"}
    assert (barriers["housing"].severity, barriers["housing"].section) == ("high", Section.GENERAL)
    assert barriers["housing"].note == "Hébergé chez un ami"
    assert (barriers["health"].severity, barriers["health"].section) == ("medium", Section.HEALTH)
    completed = CaseEvent.objects.get(episode=episode, data__what="diagnosis_completed")
    assert completed.section == Section.GENERAL and completed.data["barriers"] == ["housing"]
    health_event = CaseEvent.objects.get(episode=episode, data__what="barrier_recorded")
    assert health_event.section == Section.HEALTH
    skill = Skill.objects.get(diagnosis=diagnosis)
    assert (skill.attested_by, skill.attested_organisation, skill.is_attested) == (
        "M. Martin",
        "Restos du cœur",
        True,
    )


def test_digital_exclusion_sets_autonomy_and_offline_channels(counselor, episode, questionnaire):
    person = episode.person
    person.preferred_channels = [Channel.EMAIL, Channel.VIDEO]
    person.save()
    # FULL_ANSWERS: e-mail 0, forms 1, job sites 0, smartphone 1, mobile data 1 = 3 points < 4.
    diagnosis = _completed(episode, counselor)
    assert (diagnosis.digital_points, diagnosis.digital_autonomy) == (3, DigitalAutonomy.NONE)
    person.refresh_from_db()
    assert person.digital_autonomy == DigitalAutonomy.NONE
    assert person.preferred_channels == [Channel.PHONE, Channel.IN_PERSON]
    event = CaseEvent.objects.get(person=person, data__what="digital_autonomy_set")
    assert event.data["to"] == "none" and event.data["channels"] == ["phone", "in_person"]
    assert event.actor == counselor and event.episode == episode


def test_partial_digital_autonomy_puts_phone_and_in_person_first(counselor, episode, questionnaire):
    person = episode.person
    person.preferred_channels = [Channel.EMAIL]
    person.save()
    answers = {**FULL_ANSWERS, "digital_email": "alone", "digital_job_sites": "with_help"}  # 3 + 2 + 1 = 6
    diagnosis = _completed(episode, counselor, answers)
    assert diagnosis.digital_autonomy == DigitalAutonomy.PARTIAL
    person.refresh_from_db()
    assert person.preferred_channels == [Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL]


def test_autonomous_person_keeps_own_channels(counselor, episode, questionnaire):
    person = episode.person
    person.preferred_channels = [Channel.VIDEO]
    person.save()
    answers = {
        **FULL_ANSWERS,
        "digital_email": "alone",
        "digital_forms": "alone",
        "digital_job_sites": "alone",
        "digital_equipment": "computer",
        "digital_connectivity": "home",
    }
    _completed(episode, counselor, answers)
    person.refresh_from_db()
    assert (person.digital_autonomy, person.preferred_channels) == ("autonomous", ["video"])


def test_incomplete_digital_check_changes_nothing(counselor, episode, questionnaire):
    answers = {k: v for k, v in FULL_ANSWERS.items() if k != "digital_connectivity"}
    diagnosis = _completed(episode, counselor, answers)
    assert diagnosis.digital_autonomy == "" and diagnosis.digital_points is None
    episode.person.refresh_from_db()
    assert episode.person.digital_autonomy == DigitalAutonomy.UNKNOWN
    assert not CaseEvent.objects.filter(data__what="digital_autonomy_set").exists()


def test_sensitive_barriers_and_answers_are_hidden_from_a_colleague(
    client, counselor, colleague, episode, questionnaire
):
    diagnosis = _completed(episode, counselor)
    url = reverse("diagnosis:detail", args=[episode.public_id, diagnosis.public_id])
    client.force_login(counselor)
    page = client.get(url).content.decode()
    assert "Mal de dos" in page and "Santé" in page and "Hébergé chez un ami" in page
    client.force_login(colleague)
    page = client.get(url).content.decode()
    assert "Hébergé chez un ami" in page and "Logement" in page
    assert "Mal de dos" not in page
    assert "Votre santé limite" not in page
    assert '<option value="health"' not in page  # not offered in the barrier form either
    assert AccessLog.objects.filter(user=colleague, route="diagnosis:detail").count() == 1


def test_colleague_cannot_record_a_health_barrier(client, colleague, episode, questionnaire):
    diagnosis = DiagnosisFactory(episode=episode)
    with pytest.raises(PermissionDenied):
        actions.record_barrier(diagnosis, by=colleague, kind="health", severity="high")
    client.force_login(colleague)
    response = client.post(
        reverse("diagnosis:add_barrier", args=[episode.public_id, diagnosis.public_id]),
        {"kind": "health", "severity": "high", "note": "x"},
    )
    assert response.status_code == 400
    assert not Barrier.objects.exists()


def test_counselor_records_a_barrier_and_an_attested_skill(client, counselor, episode, questionnaire):
    diagnosis = DiagnosisFactory(episode=episode)
    client.force_login(counselor)
    response = client.post(
        reverse("diagnosis:add_barrier", args=[episode.public_id, diagnosis.public_id]),
        {"kind": "justice", "severity": "low", "note": "Suivi SPIP"},
    )
    assert response.status_code == 302
    barrier = Barrier.objects.get()
    assert barrier.section == Section.JUSTICE
    assert CaseEvent.objects.get(data__what="barrier_recorded").section == Section.JUSTICE
    skill_url = reverse("diagnosis:add_skill", args=[episode.public_id, diagnosis.public_id])
    response = client.post(
        skill_url, {"label": "Encadrer", "source": "volunteering", "attested_at": "2024-03-01"}
    )
    assert response.status_code == 400
    assert 'value="Encadrer"' in response.content.decode()
    response = client.post(
        skill_url,
        {
            "label": "Encadrer",
            "source": "volunteering",
            "attested_by": "Mme Roy",
            "attested_organisation": "Scouts",
            "attested_at": "2024-03-01",
        },
    )
    assert response.status_code == 302
    skill = Skill.objects.get()
    assert (skill.attested_by, str(skill.attested_at)) == ("Mme Roy", "2024-03-01")


def test_outsider_gets_404_on_every_change(client, outsider, counselor, episode, questionnaire):
    diagnosis = _completed(episode, counselor)
    action = actions.add_action(episode, by=counselor, goal="Faire un CV")
    ep, d = episode.public_id, diagnosis.public_id
    client.force_login(outsider)
    for url in [
        reverse("diagnosis:start", args=[ep]),
        reverse("diagnosis:create_invitation", args=[ep]),
        reverse("diagnosis:fill_section", args=[ep, d, 1]),
        reverse("diagnosis:complete", args=[ep, d]),
        reverse("diagnosis:add_barrier", args=[ep, d]),
        reverse("diagnosis:add_skill", args=[ep, d]),
        reverse("diagnosis:action_plan", args=[ep]),
        reverse("diagnosis:accept_suggestion", args=[ep]),
        reverse("diagnosis:edit_action", args=[ep, action.pk]),
        reverse("diagnosis:change_action_status", args=[ep, action.pk]),
        reverse("diagnosis:orientation", args=[ep]),
    ]:
        assert client.post(url, {"status": "done", "goal": "x"}).status_code == 404, url
    assert CaseEvent.objects.filter(actor=outsider).count() == 0


def test_outsider_gets_404_on_every_page(client, outsider, counselor, episode, questionnaire):
    diagnosis = _completed(episode, counselor)
    action = actions.add_action(episode, by=counselor, goal="Faire un CV")
    client.force_login(outsider)
    for url in [
        reverse("diagnosis:episode", args=[episode.public_id]),
        reverse("diagnosis:detail", args=[episode.public_id, diagnosis.public_id]),
        reverse("diagnosis:fill_section", args=[episode.public_id, diagnosis.public_id, 1]),
        reverse("diagnosis:action_plan", args=[episode.public_id]),
        reverse("diagnosis:edit_action", args=[episode.public_id, action.pk]),
        reverse("diagnosis:orientation", args=[episode.public_id]),
    ]:
        assert client.get(url).status_code == 404, url
    assert not AccessLog.objects.filter(user=outsider).exists()


def test_follower_reads_but_cannot_change(client, follower, counselor, episode, questionnaire):
    diagnosis = _completed(episode, counselor)
    client.force_login(follower)
    assert (
        client.get(reverse("diagnosis:detail", args=[episode.public_id, diagnosis.public_id])).status_code
        == 200
    )
    assert client.post(reverse("diagnosis:start", args=[episode.public_id])).status_code == 403
    assert client.post(reverse("diagnosis:create_invitation", args=[episode.public_id])).status_code == 403


def test_anonymous_is_sent_to_login(client, episode):
    response = client.get(reverse("diagnosis:episode", args=[episode.public_id]))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_diagnosis_page_has_a_bounded_number_of_queries(
    client, counselor, colleague, episode, questionnaire, django_assert_max_num_queries
):
    diagnosis = _completed(episode, counselor)
    for index in range(20):
        actions.add_skill(episode.person, by=counselor, label=f"Compétence {index}", source="hobby")
        actions.record_barrier(diagnosis, by=counselor, kind="finances", note=str(index))
    url = reverse("diagnosis:detail", args=[episode.public_id, diagnosis.public_id])
    for user in (counselor, colleague):
        client.force_login(user)
        with django_assert_max_num_queries(12):
            response = client.get(url)
        assert response.status_code == 200
    overview = reverse("diagnosis:episode", args=[episode.public_id])
    for _ in range(10):
        actions.start_diagnosis(episode, by=counselor)
    with django_assert_max_num_queries(10):
        assert client.get(overview).status_code == 200


def test_saving_a_section_records_a_general_event(counselor, episode, questionnaire):
    diagnosis = actions.start_diagnosis(episode, by=counselor)
    actions.save_answers(
        diagnosis, by=counselor, section_id="rights_health", answers={"barrier_language": "low"}
    )
    event = CaseEvent.objects.get(data__what="diagnosis_answers_saved")
    assert event.section == Section.GENERAL
    assert event.data == {
        "what": "diagnosis_answers_saved",
        "diagnosis": diagnosis.pk,
        "questionnaire_section": "rights_health",
    }
