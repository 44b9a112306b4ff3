"""Erasure and rectification requests: recorded by counselors, answered by managers within one
month (GDPR art. 12(3)), a refusal always with its reason; fulfilling an erasure anonymises."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases import actions as case_actions
from parcours.cases.models import CaseEvent
from parcours.home.navigation import navigation_for
from parcours.people.models import Person
from parcours.privacy import actions
from parcours.privacy.models import RightsRequest, one_month_after
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (datetime.date(2026, 1, 15), datetime.date(2026, 2, 15)),
        (datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)),
        (datetime.date(2028, 1, 31), datetime.date(2028, 2, 29)),
        (datetime.date(2026, 12, 3), datetime.date(2027, 1, 3)),
    ],
)
def test_the_answer_is_due_one_month_after_reception(received, due):
    assert one_month_after(received) == due


@pytest.fixture
def closed_person(organisation, counselor):
    episode = EpisodeFactory(organisation=organisation, referent=counselor)
    case_actions.close_episode(episode, by=counselor, reason="moved")
    return Person.objects.get(pk=episode.person_id)


def _form(person, organisation, **overrides):
    return {
        "kind": "erasure",
        "first_name": person.first_name.upper(),
        "last_name": person.last_name,
        "birth_date": person.birth_date.isoformat(),
        "organisation": organisation.pk,
        "received_on": timezone.localdate().isoformat(),
        "details": "Je ne suis plus accompagnée.",
        **overrides,
    }


def test_a_counselor_records_a_request_for_a_closed_file(client, counselor, organisation, closed_person):
    client.force_login(counselor)

    response = client.post(reverse("privacy:requests"), _form(closed_person, organisation))

    created = RightsRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("privacy:request_detail", args=[created.public_id])
    assert (created.person, created.kind, created.status) == (closed_person, "erasure", "open")
    assert created.due_on == one_month_after(timezone.localdate())
    assert (
        CaseEvent.objects.filter(person=closed_person, data__what=actions.EVENT_REQUEST_RECORDED).count() == 1
    )


def test_a_request_names_a_file_of_the_chosen_organisation(
    client, counselor, organisation, other_organisation, outsider
):
    elsewhere = EpisodeFactory(organisation=other_organisation, referent=outsider).person
    client.force_login(counselor)

    response = client.post(reverse("privacy:requests"), _form(elsewhere, organisation))

    assert response.status_code == 400
    assert "Aucun dossier de cette organisation" in response.content.decode()
    assert not RightsRequest.objects.exists()


def _request(person, organisation, counselor, kind="erasure", received_on=None):
    return actions.record_rights_request(
        person,
        by=counselor,
        organisation=organisation,
        kind=kind,
        received_on=received_on or timezone.localdate(),
    )


def test_the_list_shows_open_requests_nearest_deadline_first_in_constant_queries(
    client, counselor, organisation, django_assert_num_queries
):
    people = [EpisodeFactory(organisation=organisation, referent=counselor).person for _ in range(6)]
    today = timezone.localdate()
    late = _request(people[0], organisation, counselor, received_on=today - datetime.timedelta(days=40))
    for person in people[1:3]:
        _request(person, organisation, counselor)
    client.force_login(counselor)
    client.get(reverse("privacy:requests"))  # session and caches warm

    with django_assert_num_queries(9) as few:
        response = client.get(reverse("privacy:requests"))
    for person in people[3:]:
        _request(person, organisation, counselor)
    with django_assert_num_queries(len(few.captured_queries)):
        more = client.get(reverse("privacy:requests"))

    assert response.status_code == more.status_code == 200
    page = more.context["page"]
    assert page.object_list[0].person == people[0]
    assert len(page.object_list) == 6
    assert "en retard" in more.content.decode() and late.is_overdue()


def test_only_a_manager_answers(client, counselor, manager, organisation, closed_person):
    rights_request = _request(closed_person, organisation, counselor)
    url = reverse("privacy:request_detail", args=[rights_request.public_id])
    client.force_login(counselor)

    assert client.post(url, {"decision": "fulfil"}).status_code == 403
    assert RightsRequest.objects.get().status == "open"

    client.force_login(manager)
    assert client.post(url, {"decision": "refuse", "note": ""}).status_code == 400
    response = client.post(url, {"decision": "fulfil", "note": "Données effacées."})

    assert response.status_code == 302
    answered = RightsRequest.objects.get()
    assert (answered.status, answered.decided_by, answered.decision_note) == (
        "fulfilled",
        manager,
        "Données effacées.",
    )
    person = Person.objects.get(pk=closed_person.pk)
    assert (person.first_name, person.anonymised_at is not None) == ("Personne", True)
    assert client.post(url, {"decision": "refuse", "note": "x"}).status_code == 409


def test_an_erasure_waits_for_the_open_episode_to_close(client, manager, counselor, organisation, episode):
    rights_request = _request(episode.person, organisation, counselor)
    client.force_login(manager)

    response = client.post(
        reverse("privacy:request_detail", args=[rights_request.public_id]), {"decision": "fulfil"}
    )

    assert response.status_code == 409
    assert RightsRequest.objects.get().status == "open"
    assert Person.objects.get(pk=episode.person_id).first_name == episode.person.first_name


def test_a_refusal_keeps_its_reason(client, manager, counselor, organisation, episode):
    rights_request = _request(episode.person, organisation, counselor, kind="rectification")
    client.force_login(manager)

    response = client.post(
        reverse("privacy:request_detail", args=[rights_request.public_id]),
        {"decision": "refuse", "note": "Les informations sont exactes (justificatif reçu)."},
    )

    assert response.status_code == 302
    refused = RightsRequest.objects.get()
    assert (refused.status, refused.decision_note) == (
        "refused",
        "Les informations sont exactes (justificatif reçu).",
    )
    assert CaseEvent.objects.filter(data__what=actions.EVENT_REQUEST_REFUSED).count() == 1


def test_the_requests_page_is_in_the_menu_of_counselors_and_managers_only(
    counselor, manager, analyst, organisation
):
    coordinator = member(organisation, Role.COORDINATOR)
    url = reverse("privacy:requests")

    def links(user):
        return [entry.url for group in navigation_for(user) for entry in group.entries]

    assert url in links(counselor)
    assert url in links(manager)
    assert url not in links(analyst)
    assert url not in links(coordinator)
