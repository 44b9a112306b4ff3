"""Who sees whom: through an active episode of their organisation, or a consented follow-up."""

from django.contrib.auth.models import AnonymousUser

from parcours.cases import access, actions
from parcours.cases import actions as case_actions
from parcours.cases.models import SupportEpisode
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


def _generic(user, person):
    """What the generic scoped querysets give for one person's file (the reference rules)."""
    episodes = access.episodes(user).filter(person=person)
    return {
        "visible": access.people(user).filter(pk=person.pk).exists(),
        "episodes": set(episodes.values_list("pk", flat=True)),
        "sensitive": set(access.sensitive_episodes(user).filter(person=person).values_list("pk", flat=True)),
        "contacts": set(access.contacts(user).filter(episode__person=person).values_list("pk", flat=True)),
        "appointments": set(
            access.appointments(user).filter(episode__person=person).values_list("pk", flat=True)
        ),
        "sharing": set(
            Consent.objects.active()
            .filter(
                person=person,
                scope=Consent.Scope.CASE_FILE,
                organisation_id__in=access.managed_open_episodes(user, person).values("organisation_id"),
            )
            .values_list("organisation_id", flat=True)
        ),
    }


def _scoped(user, person):
    scope = access.file_scope(user, person)
    return {
        "visible": scope.visible,
        "episodes": set(scope.episode_ids),
        "sensitive": set(scope.sensitive_episode_ids),
        "contacts": set(scope.contacts().values_list("pk", flat=True)),
        "appointments": set(scope.appointments().values_list("pk", flat=True)),
        "sharing": set(scope.sharing_organisation_ids),
    }


def test_file_scope_resolves_the_same_rules_as_the_generic_querysets(
    episode, counselor, colleague, manager, follower, outsider, analyst, other_organisation
):
    """access.file_scope (the person page's one resolution of the rules) gives, for every kind of
    user and at each step, exactly what the generic scoped querysets give for that person."""
    import datetime

    from django.utils import timezone

    person = episode.person
    users = (counselor, colleague, manager, follower, outsider, analyst)
    other = EpisodeFactory(person=person, organisation=other_organisation, referent=outsider)
    for ep, by in ((episode, counselor), (other, outsider)):
        actions.record_contact(ep, by=by, channel="phone", section="health", summary="Arrêt maladie")
        actions.record_contact(ep, by=by, channel="phone", summary="Point CV")
        actions.plan_appointment(
            ep, by=by, scheduled_at=timezone.now() + datetime.timedelta(days=3), channel="phone", purpose="x"
        )

    def check():
        for user in users:
            assert _scoped(user, person) == _generic(user, person), user.username
            # The list's hashed form of the rule gives the same episodes as the correlated one.
            assert set(access.episodes(user, many=True)) == set(access.episodes(user)), user.username
            rows, readable = access.ledger_contacts(user, person)
            assert rows.count() >= len(readable)

    check()
    assert _scoped(counselor, person)["sensitive"] == {episode.pk}
    assert _scoped(colleague, person)["sensitive"] == set()
    assert _scoped(analyst, person)["visible"] is False
    # A follow-up member granted sensitive access: nothing more without the sensitive consent.
    member = episode.follow_up_members.get(user=follower)
    member.access_level = "sensitive"
    member.save()
    check()
    assert _scoped(follower, person)["sensitive"] == set()
    Consent.objects.create(person=person, organisation=member.organisation, scope=Consent.Scope.SENSITIVE)
    check()
    assert _scoped(follower, person)["sensitive"] == {episode.pk}
    # The person shares the file with the counselor's organisation: the ledger opens, same rule.
    Consent.objects.create(person=person, organisation=episode.organisation, scope=Consent.Scope.CASE_FILE)
    check()
    assert _scoped(counselor, person)["sharing"] == {episode.organisation_id}
    rows, readable = access.ledger_contacts(counselor, person)
    other_contacts = set(other.contacts.values_list("section", "pk"))
    assert {pk for _, pk in other_contacts} <= set(rows.values_list("pk", flat=True))
    assert {pk for section, pk in other_contacts if section == "general"} <= readable
    assert not {pk for section, pk in other_contacts if section == "health"} & readable
    # The episode closes: the person leaves the counselor's view, and the scope with it.
    actions.close_episode(episode, by=counselor, reason="moved")
    check()
    assert _scoped(counselor, person)["visible"] is False


def test_the_lists_form_of_the_rule_gives_the_same_episodes(
    organisation, other_organisation, counselor, colleague, manager, follower, outsider, analyst
):
    """access.episodes(user, many=True), the API list's plan, against the correlated default: a
    closed episode is visible while its person has another open one in the organisation, not once
    they have none; followed episodes of another organisation count with consent only."""
    from tests.cases.factories import FollowUpMemberFactory

    returning = EpisodeFactory(organisation=organisation, referent=counselor)
    EpisodeFactory(person=returning.person, organisation=organisation, referent=colleague)
    actions.close_episode(returning, by=counselor, reason="moved")
    gone = EpisodeFactory(organisation=organisation, referent=counselor)
    actions.close_episode(gone, by=counselor, reason="moved")
    elsewhere = EpisodeFactory(organisation=other_organisation, referent=outsider)
    followed = EpisodeFactory(organisation=other_organisation, referent=outsider)
    FollowUpMemberFactory(episode=followed, organisation=organisation, user=counselor)
    unconsented = EpisodeFactory(organisation=other_organisation, referent=outsider)
    FollowUpMemberFactory(episode=unconsented, organisation=organisation, user=counselor)
    Consent.objects.create(person=followed.person, organisation=organisation, scope=Consent.Scope.CASE_FILE)
    users = (counselor, colleague, manager, follower, outsider, analyst)
    for user in users:
        assert set(access.episodes(user, many=True)) == set(access.episodes(user)), user.username
    seen = set(access.episodes(counselor, many=True))
    assert returning in seen and followed in seen
    assert gone not in seen and elsewhere not in seen and unconsented not in seen


def test_the_open_form_of_the_rule_gives_the_same_open_episodes(
    organisation, other_organisation, counselor, colleague, manager, follower, outsider, analyst
):
    """access.open_episodes(user), the portfolio's and the alerts' form, against
    episodes(user).open(): closed episodes are out, an open followed episode of another
    organisation counts with consent only, an open episode of an organisation the user left is out."""
    from tests.cases.factories import FollowUpMemberFactory

    mine = EpisodeFactory(organisation=organisation, referent=counselor)
    closed = EpisodeFactory(organisation=organisation, referent=counselor)
    actions.close_episode(closed, by=counselor, reason="moved")
    elsewhere = EpisodeFactory(organisation=other_organisation, referent=outsider)
    followed = EpisodeFactory(organisation=other_organisation, referent=outsider)
    FollowUpMemberFactory(episode=followed, organisation=organisation, user=counselor)
    unconsented = EpisodeFactory(organisation=other_organisation, referent=outsider)
    FollowUpMemberFactory(episode=unconsented, organisation=organisation, user=counselor)
    Consent.objects.create(person=followed.person, organisation=organisation, scope=Consent.Scope.CASE_FILE)
    left = EpisodeFactory(organisation=other_organisation, referent=colleague)
    users = (counselor, colleague, manager, follower, outsider, analyst)
    for user in users:
        assert set(access.open_episodes(user)) == set(access.episodes(user).open()), user.username
        assert set(access.open_episodes(user, SupportEpisode.objects.filter(referent=user))) == set(
            access.episodes(user).open().filter(referent=user)
        ), user.username
    seen = set(access.open_episodes(counselor))
    assert mine in seen and followed in seen
    assert closed not in seen and elsewhere not in seen and unconsented not in seen
    assert left not in set(access.open_episodes(colleague))
    assert set(access.open_episodes(AnonymousUser())) == set()
