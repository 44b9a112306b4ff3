"""Questionnaires are versioned data: loading, validation, and old diagnoses reading with the
labels of the version they were answered with."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from parcours.diagnosis import actions
from parcours.diagnosis import questionnaire as q
from parcours.diagnosis.loader import load_definition, load_questionnaires
from parcours.diagnosis.models import BarrierKind, Diagnosis, QuestionnaireVersion
from parcours.diagnosis.questionnaire import QuestionnaireError, validate_definition
from tests.diagnosis.factories import shipped_definition


def test_questionnaire_module_knows_the_model_barrier_kinds():
    assert set(q.BARRIER_KINDS) == set(BarrierKind.values)


def test_shipped_questionnaire_covers_every_barrier_in_both_languages():
    definition = validate_definition(shipped_definition())
    kinds = {qu["barrier"] for qu in q.questions(definition) if "barrier" in qu}
    assert kinds == set(BarrierKind.values)
    assert len([qu for qu in q.questions(definition) if qu.get("digital")]) == 5
    assert any(qu["type"] == "skills" for qu in q.questions(definition))


@pytest.mark.django_db
def test_loading_the_shipped_files_twice_creates_one_version(tmp_path):
    first = load_questionnaires()
    second = load_questionnaires()
    assert first.created == ["diagnostic-initial v1"]
    assert second.created == [] and second.unchanged == ["diagnostic-initial v1"]
    assert QuestionnaireVersion.objects.count() == 1


@pytest.mark.django_db
def test_a_published_version_cannot_change(tmp_path):
    load_definition(shipped_definition())
    changed = shipped_definition()
    changed["title"]["fr"] = "Autre titre"
    with pytest.raises(QuestionnaireError, match="new version number"):
        load_definition(changed)


def test_health_question_must_be_marked_sensitive():
    definition = shipped_definition()
    question = next(qu for qu in q.questions(definition) if qu.get("barrier") == "health")
    del question["sensitive"]
    with pytest.raises(QuestionnaireError, match=r"barrier_health.*sensitive"):
        validate_definition(definition, "v.json")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["sections"][0]["questions"][0]["label"].pop("en"), "'fr' and 'en'"),
        (lambda d: d["sections"][0]["questions"].append(dict(d["sections"][0]["questions"][0])), "duplicate"),
        (lambda d: d["sections"][0]["questions"][0].update(type="slider"), "unknown type"),
        (lambda d: d.update(version=0), "positive integer"),
    ],
)
def test_invalid_definitions_are_refused_with_the_place_of_the_error(mutate, message):
    definition = shipped_definition()
    mutate(definition)
    with pytest.raises(QuestionnaireError, match=message):
        validate_definition(definition, "v.json")


@pytest.mark.django_db
def test_load_command_exits_2_on_a_bad_file(tmp_path):
    (tmp_path / "bad.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("diagnosis", "load-questionnaires", "--dir", str(tmp_path))
    assert excinfo.value.returncode == 2
    assert "bad.json" in str(excinfo.value)


@pytest.mark.django_db
def test_load_command_prints_json(tmp_path, capsys):
    (tmp_path / "q.json").write_text(json.dumps(shipped_definition()), encoding="utf-8")
    call_command("diagnosis", "load-questionnaires", "--dir", str(tmp_path), "--json")
    assert json.loads(capsys.readouterr().out) == {"created": ["diagnostic-initial v1"], "unchanged": []}


def _v2() -> dict:
    """v2 renames the label of current_status, removes status_history and renames
    wanted_occupations into target_occupations."""
    definition = shipped_definition()
    definition["version"] = 2
    situation = definition["sections"][0]["questions"]
    situation[0]["label"] = {"fr": "Votre situation principale", "en": "Your main situation"}
    definition["sections"][0]["questions"] = [qu for qu in situation if qu["id"] != "status_history"]
    for qu in q.questions(definition):
        if qu["id"] == "wanted_occupations":
            qu["id"] = "target_occupations"
    return definition


@pytest.mark.django_db
def test_new_version_never_breaks_an_old_diagnosis(client, counselor, episode, tmp_path):
    (tmp_path / "v1.json").write_text(json.dumps(shipped_definition()), encoding="utf-8")
    load_questionnaires(tmp_path)
    old = actions.start_diagnosis(episode, by=counselor)
    actions.save_answers(
        old,
        by=counselor,
        section_id="situation",
        answers={"current_status": "employed", "status_history": "Intérim en 2023"},
    )
    actions.complete_diagnosis(old, by=counselor)

    (tmp_path / "v2.json").write_text(json.dumps(_v2()), encoding="utf-8")
    report = load_questionnaires(tmp_path)
    assert report.created == ["diagnostic-initial v2"]

    new = actions.start_diagnosis(episode, by=counselor)
    assert new.questionnaire_version.number == 2
    old.refresh_from_db()
    assert old.questionnaire_version.number == 1

    client.force_login(counselor)
    page = client.get(reverse("diagnosis:detail", args=[episode.public_id, old.public_id])).content.decode()
    assert "Quelle est votre situation aujourd&#x27;hui ?" in page  # v1 label
    assert "Votre situation principale" not in page
    assert "Vos situations précédentes" in page and "Intérim en 2023" in page  # removed in v2, kept in v1
    assert "Je suis salarié·e" in page

    form_page = client.get(reverse("diagnosis:fill_section", args=[episode.public_id, new.public_id, 1]))
    assert "Votre situation principale" in form_page.content.decode()
    assert 'name="status_history"' not in form_page.content.decode()
    response = client.post(
        reverse("diagnosis:fill_section", args=[episode.public_id, new.public_id, 5]),
        {"version": new.version, "target_occupations": "Boulanger"},
    )
    assert response.status_code == 302
    assert Diagnosis.objects.get(pk=new.pk).answers == {"target_occupations": "Boulanger"}


@pytest.mark.django_db
def test_old_diagnosis_reads_in_english_with_its_own_labels(counselor, episode, questionnaire):
    diagnosis = actions.start_diagnosis(episode, by=counselor)
    actions.save_answers(
        diagnosis, by=counselor, section_id="situation", answers={"current_status": "student"}
    )
    rendered = Diagnosis.objects.get(pk=diagnosis.pk).rendered(True, "en")
    assert rendered[0][0] == "Your situation"
    assert rendered[0][1][0][:2] == ("What is your situation today?", "I am a student or in training")
