"""Who sees whom: through an active episode of their organisation, or a consented follow-up."""

from parcours.cases import actions
from parcours.cases.models import CaseEvent, Contact, SupportEpisode
from parcours.people import actions as people_actions
from parcours.people.models import Consent, Person
from tests.cases.factories import EpisodeFactory


def test_counselor_and_colleague_and_manager_see_person_of_their_organisation(
    person, counselor, colleague, manager
):
    for user in (counselor, colleague, manager):
        assert list(Person.objects.visible_to(user)) == [person]


def test_counselor_cannot_see_other_organisations_person(person, outsider, analyst):
    assert not Person.objects.visible_to(outsider).exists()
    assert not SupportEpisode.objects.visible_to(outsider).exists()
    # Analysts work on pseudonymised statistics only.
    assert not Person.objects.visible_to(analyst).exists()


def test_closed_episode_hides_the_person(episode, counselor):
    actions.close_episode(episode, by=counselor, reason="moved")
    assert not Person.objects.visible_to(counselor).exists()


def test_follow_up_member_needs_the_persons_consent(episode, follower, counselor, other_organisation):
    assert list(Person.objects.visible_to(follower)) == [episode.person]
    assert list(SupportEpisode.objects.visible_to(follower)) == [episode]
    consent = Consent.objects.get(person=episode.person, organisation=other_organisation)
    people_actions.withdraw_consent(consent, by=counselor)
    assert not Person.objects.visible_to(follower).exists()
    assert not SupportEpisode.objects.visible_to(follower).exists()


def test_follow_up_without_consent_gives_nothing(episode, other_organisation, counselor):
    from tests.accounts.factories import member
    from tests.cases.factories import FollowUpMemberFactory

    user = member(other_organisation)
    FollowUpMemberFactory(episode=episode, organisation=other_organisation, user=user)
    assert not Person.objects.visible_to(user).exists()


def test_sensitive_sections_only_for_referent_and_granted_members(
    episode, counselor, colleague, manager, follower
):
    actions.record_contact(episode, by=counselor, channel="phone", section="health", summary="Arrêt maladie")
    actions.record_contact(episode, by=counselor, channel="phone", summary="Point CV")
    assert Contact.objects.visible_to(counselor).count() == 2
    for user in (colleague, manager, follower):
        assert list(Contact.objects.visible_to(user).values_list("section", flat=True)) == ["general"]
        assert not CaseEvent.objects.visible_to(user).filter(section="health").exists()
    assert episode.can_see_sensitive(counselor)
    assert not episode.can_see_sensitive(colleague)
    member = episode.follow_up_members.get(user=follower)
    member.access_level = "sensitive"
    member.save()
    assert episode.can_see_sensitive(follower)
    assert Contact.objects.visible_to(follower).count() == 2


def test_events_of_another_organisations_episode_stay_hidden(person, counselor, outsider, other_organisation):
    other = EpisodeFactory(person=person, organisation=other_organisation, referent=outsider)
    actions.record_contact(other, by=outsider, channel="phone", summary="Autre structure")
    visible_episodes = set(CaseEvent.objects.visible_to(counselor).values_list("episode_id", flat=True))
    assert other.pk not in visible_episodes
    assert list(SupportEpisode.objects.visible_to(counselor)) == [person.episodes.exclude(pk=other.pk).get()]


def test_on_file_gives_the_same_events_as_visible_to(
    episode, counselor, colleague, manager, follower, outsider
):
    actions.record_contact(episode, by=counselor, channel="phone", section="health", summary="x")
    actions.record_contact(episode, by=counselor, channel="email", summary="y")
    actions.change_stage(episode, by=counselor, stage="assessment")
    person = episode.person
    for user in (counselor, colleague, manager, follower, outsider):
        expected = set(CaseEvent.objects.visible_to(user).filter(person=person).values_list("pk", flat=True))
        assert set(CaseEvent.objects.on_file(person, user).values_list("pk", flat=True)) == expected
    assert CaseEvent.objects.on_file(person, counselor).filter(section="health").exists()
    assert not CaseEvent.objects.on_file(person, colleague).filter(section="health").exists()
    assert not CaseEvent.objects.on_file(person, outsider).exists()
