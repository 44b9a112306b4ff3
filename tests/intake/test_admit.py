"""Intake: person (duplicate check) -> episode -> profiling score and experiments, after commit.
Personas: tests/conftest.py."""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse

from parcours.cases.models import CaseEvent, SupportEpisode
from parcours.evaluation.models import Assignment
from parcours.intake import actions
from parcours.people.models import Person
from parcours.profiling import tasks
from tests.evaluation.test_experiments import running
from tests.people.factories import PersonFactory
from tests.people.test_api import Api
from tests.people.test_views import creation_data

IDENTITY = {"first_name": "Léa", "last_name": "Martin", "birth_date": datetime.date(1990, 4, 2)}


def test_admit_person_opens_the_episode_then_scores_and_assigns_after_commit(
    counselor, analyst, organisation, django_capture_on_commit_callbacks, monkeypatch
):
    experiment = running(analyst, organisation)
    scored = []
    monkeypatch.setattr(
        tasks, "score_episode", SimpleNamespace(enqueue=lambda episode_id: scored.append(episode_id))
    )
    with django_capture_on_commit_callbacks() as callbacks:
        episode = actions.admit_person(by=counselor, person_fields=IDENTITY, organisation=organisation)
        # Nothing of profiling or evaluation runs inside the transaction.
        assert scored == [] and not Assignment.objects.exists()
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert scored == [episode.pk]
    assignment = Assignment.objects.get()
    assert (assignment.experiment, assignment.episode) == (experiment, episode)
    kinds = list(
        CaseEvent.objects.filter(person=episode.person).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == ["person_created", "episode_opened", "other"]


def test_admit_person_stops_at_a_possible_duplicate_unless_told_to_go_on(counselor, organisation, episode):
    known = PersonFactory(**IDENTITY)
    SupportEpisode.objects.filter(pk=episode.pk).update(person=known)
    with pytest.raises(actions.PossibleDuplicates) as found:
        actions.admit_person(
            by=counselor, person_fields={**IDENTITY, "first_name": "Lea"}, organisation=organisation
        )
    assert [person for person, _score in found.value.matches] == [known]
    assert Person.objects.filter(last_name="Martin").count() == 1
    actions.admit_person(
        by=counselor, person_fields=IDENTITY, organisation=organisation, ignore_duplicates=True
    )
    assert Person.objects.filter(last_name="Martin").count() == 2


def test_the_page_and_the_api_admit_through_the_same_action(client, counselor, organisation, monkeypatch):
    calls = []
    real = actions.admit_person
    monkeypatch.setattr(actions, "admit_person", lambda **kw: calls.append(kw["by"]) or real(**kw))
    client.force_login(counselor)
    page = client.post(reverse("intake:create_person"), creation_data(organisation))
    assert page.status_code == 302
    response = Api(client, counselor).post(
        "/persons",
        {**IDENTITY, "ignore_duplicates": True, "episode": {"organisation": str(organisation.public_id)}},
    )
    assert response.status_code == 201, response.content
    assert calls == [counselor, counselor]
