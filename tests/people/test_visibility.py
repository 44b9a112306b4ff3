"""Who sees whom: through an active episode of their organisation, or a consented follow-up."""

from parcours.cases import access, actions
from parcours.cases import actions as case_actions
from parcours.people.models import Consent
from tests.cases.factories import EpisodeFactory


def test_counselor_and_colleague_and_manager_see_person_of_their_organisation(
    person, counselor, colleague, manager
):
    for user in (counselor, colleague, manager):
        assert list(access.people(user)) == [person]


def test_counselor_cannot_see_other_organisations_person(person, outsider, analyst):
    assert not access.people(outsider).exists()
    assert not access.episodes(outsider).exists()
    # Analysts work on pseudonymised statistics only.
    assert not access.people(analyst).exists()


def test_closed_episode_hides_the_person(episode, counselor):
    actions.close_episode(episode, by=counselor, reason="moved")
    assert not access.people(counselor).exists()


def test_follow_up_member_needs_the_persons_consent(episode, follower, counselor, other_organisation):
    assert list(access.people(follower)) == [episode.person]
    assert list(access.episodes(follower)) == [episode]
    consent = Consent.objects.get(person=episode.person, organisation=other_organisation)
    case_actions.withdraw_consent(consent, by=counselor)
    assert not access.people(follower).exists()
    assert not access.episodes(follower).exists()


def test_follow_up_without_consent_gives_nothing(episode, other_organisation, counselor):
    from tests.accounts.factories import member
    from tests.cases.factories import FollowUpMemberFactory

    user = member(other_organisation)
    FollowUpMemberFactory(episode=episode, organisation=other_organisation, user=user)
    assert not access.people(user).exists()


def test_sensitive_sections_only_for_referent_and_granted_members(
    episode, counselor, colleague, manager, follower
):
    actions.record_contact(episode, by=counselor, channel="phone", section="health", summary="Arrêt maladie")
    actions.record_contact(episode, by=counselor, channel="phone", summary="Point CV")
    assert access.contacts(counselor).count() == 2
    for user in (colleague, manager, follower):
        assert list(access.contacts(user).values_list("section", flat=True)) == ["general"]
        assert not access.events(user).filter(section="health").exists()
    assert access.can_see_sensitive(counselor, episode)
    assert not access.can_see_sensitive(colleague, episode)
    member = episode.follow_up_members.get(user=follower)
    member.access_level = "sensitive"
    member.save()
    # Granted, but the person consented to share the case file only: not yet.
    assert not access.can_see_sensitive(follower, episode)
    assert access.contacts(follower).count() == 1
    Consent.objects.create(
        person=episode.person, organisation=member.organisation, scope=Consent.Scope.SENSITIVE
    )
    assert access.can_see_sensitive(follower, episode)
    assert access.contacts(follower).count() == 2


def test_events_of_another_organisations_episode_stay_hidden(person, counselor, outsider, other_organisation):
    other = EpisodeFactory(person=person, organisation=other_organisation, referent=outsider)
    actions.record_contact(other, by=outsider, channel="phone", summary="Autre structure")
    visible_episodes = set(access.events(counselor).values_list("episode_id", flat=True))
    assert other.pk not in visible_episodes
    assert list(access.episodes(counselor)) == [person.episodes.exclude(pk=other.pk).get()]


def test_on_file_gives_the_same_events_as_visible_to(
    episode, counselor, colleague, manager, follower, outsider
):
    actions.record_contact(episode, by=counselor, channel="phone", section="health", summary="x")
    actions.record_contact(episode, by=counselor, channel="email", summary="y")
    actions.change_stage(episode, by=counselor, stage="assessment")
    person = episode.person
    for user in (counselor, colleague, manager, follower, outsider):
        expected = set(access.events(user).filter(person=person).values_list("pk", flat=True))
        assert set(access.events_on_file(user, person).values_list("pk", flat=True)) == expected
    assert access.events_on_file(counselor, person).filter(section="health").exists()
    assert not access.events_on_file(colleague, person).filter(section="health").exists()
    assert not access.events_on_file(outsider, person).exists()
