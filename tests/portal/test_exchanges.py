"""The person's "Mes échanges" (/moi/echanges/): every episode and contact of theirs with every
organisation, nothing of anyone else; the "autonomous online" section of the home page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases import actions as case_actions
from parcours.cases.models import Intensity
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory
from tests.portal.factories import PersonAccountFactory, log_in_person


@pytest.fixture
def me(client, person):
    log_in_person(client, PersonAccountFactory(person=person))
    return client


def _ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def test_the_portal_shows_the_episode_and_contacts_of_another_organisation(
    me, episode, counselor, person, other_organisation
):
    worker = member(other_organisation, Role.COUNSELOR, username="marc")
    theirs = case_actions.open_episode(person, by=worker, organisation=other_organisation)
    case_actions.record_contact(theirs, by=worker, channel="phone", occurred_at=_ago(2))
    case_actions.record_contact(episode, by=counselor, channel="video", occurred_at=_ago(1))
    stranger = EpisodeFactory(organisation=other_organisation, referent=worker)
    case_actions.record_contact(stranger, by=worker, channel="sms", occurred_at=_ago(1))

    response = me.get(reverse("portal:exchanges"))
    assert response.status_code == 200
    assert {e.pk for e in response.context["episodes"]} == {episode.pk, theirs.pk}
    rows = list(response.context["page"].object_list)
    assert [(c.episode_id, c.channel) for c in rows] == [(episode.pk, "video"), (theirs.pk, "phone")]
    html = response.content.decode()
    assert "Mission locale de Roubaix" in html and "France Travail Lille" in html
    assert "SMS" not in html


def test_the_portal_lists_closed_episodes_too(me, person, other_organisation):
    closed = EpisodeFactory(person=person, organisation=other_organisation, closed=True)
    response = me.get(reverse("portal:exchanges"))
    assert closed.pk in {e.pk for e in response.context["episodes"]}


def test_an_online_person_gets_the_online_pages_on_the_home_page(me, episode, counselor):
    url = reverse("portal:home")
    assert "Mon accompagnement 100 % en ligne" not in me.get(url).content.decode()
    case_actions.change_intensity(episode, by=counselor, intensity=Intensity.ONLINE, reason="Autonome")
    html = me.get(url).content.decode()
    assert "Mon accompagnement 100 % en ligne" in html
    for name in ("portal:threads", "portal:book", "catalogue:public_search", "portal:exchanges"):
        assert f'href="{reverse(name)}"' in html
