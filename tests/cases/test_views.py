"""Counselor workspace: portfolio, alerts, and the changes made to an episode from the person page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases import actions
from parcours.cases.models import (
    Appointment,
    CaseEvent,
    Contact,
    FollowUpMember,
    ReferentAssignment,
    Stage,
    SupportEpisode,
)
from parcours.people.models import Consent
from tests.accounts.factories import member
from tests.cases.factories import AppointmentFactory, EpisodeFactory, FollowUpMemberFactory
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def detail_url(person):
    return reverse("people:detail", kwargs={"public_id": person.public_id})


def episode_url(name, episode, **kwargs):
    return reverse(f"cases:{name}", kwargs={"public_id": episode.public_id, **kwargs})


def count_queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- Portfolio -------------------------------------------------------------------------------


def test_portfolio_lists_the_referents_open_episodes_only(
    client, counselor, colleague, organisation, episode
):
    closed = EpisodeFactory(organisation=organisation, referent=counselor, closed=True)
    colleagues_episode = EpisodeFactory(organisation=organisation, referent=colleague)
    client.force_login(counselor)

    response = client.get(reverse("cases:portfolio"))

    assert response.status_code == 200
    content = response.content.decode()
    assert episode.person.full_name in content
    assert detail_url(episode.person) in content
    assert closed.person.full_name not in content
    assert colleagues_episode.person.full_name not in content


def test_portfolio_shows_overdue_badge_as_text_and_next_appointment(client, counselor, organisation):
    overdue = EpisodeFactory(organisation=organisation, referent=counselor, overdue=True)
    appointment = AppointmentFactory(episode=overdue)
    client.force_login(counselor)

    content = client.get(reverse("cases:portfolio")).content.decode()

    assert "en retard" in content
    local = timezone.localtime(appointment.scheduled_at)
    assert local.strftime("%d/%m/%Y") in content


def test_manager_can_widen_the_portfolio_to_the_whole_team(client, manager, counselor, organisation, episode):
    client.force_login(manager)

    own = client.get(reverse("cases:portfolio")).content.decode()
    team = client.get(reverse("cases:portfolio"), {"team": "on"}).content.decode()

    assert episode.person.full_name not in own
    assert episode.person.full_name in team
    assert 'name="team"' in own
    # The referent's column (its user read with the page's rows) is in the team's view only.
    referent = counselor.get_full_name() or counselor.username
    assert referent in team and "Référent·e" in team and "Référent·e" not in own


def test_counselor_cannot_widen_the_portfolio_to_the_team(client, counselor, colleague, organisation):
    other = EpisodeFactory(organisation=organisation, referent=colleague)
    client.force_login(counselor)

    content = client.get(reverse("cases:portfolio"), {"team": "on"}).content.decode()

    assert other.person.full_name not in content


def test_portfolio_filters_by_stage_and_intensity(client, counselor, organisation):
    assessment = EpisodeFactory(organisation=organisation, referent=counselor, stage=Stage.ASSESSMENT)
    welcome = EpisodeFactory(organisation=organisation, referent=counselor, intensity="intensive")
    client.force_login(counselor)

    by_stage = client.get(reverse("cases:portfolio"), {"stage": "assessment"}).content.decode()
    by_intensity = client.get(reverse("cases:portfolio"), {"intensity": "intensive"}).content.decode()

    assert assessment.person.full_name in by_stage
    assert welcome.person.full_name not in by_stage
    assert welcome.person.full_name in by_intensity
    assert assessment.person.full_name not in by_intensity
    # The form keeps the chosen values.
    assert '<option value="assessment" selected>' in by_stage


def test_portfolio_filters_overdue_contacts(client, counselor, organisation):
    late = EpisodeFactory(organisation=organisation, referent=counselor, overdue=True)
    on_time = EpisodeFactory(organisation=organisation, referent=counselor)
    client.force_login(counselor)

    content = client.get(reverse("cases:portfolio"), {"overdue": "on"}).content.decode()

    assert late.person.full_name in content
    assert on_time.person.full_name not in content


def test_portfolio_filters_people_without_contact_for_n_days(client, counselor, organisation):
    now = timezone.now()
    recent = EpisodeFactory(
        organisation=organisation, referent=counselor, last_contact_at=now - datetime.timedelta(days=3)
    )
    old = EpisodeFactory(
        organisation=organisation, referent=counselor, last_contact_at=now - datetime.timedelta(days=40)
    )
    never = EpisodeFactory(organisation=organisation, referent=counselor, last_contact_at=None)
    client.force_login(counselor)

    content = client.get(reverse("cases:portfolio"), {"no_contact_days": "30"}).content.decode()

    assert old.person.full_name in content
    assert never.person.full_name in content
    assert recent.person.full_name not in content


def test_portfolio_name_search_starts_with_last_name(client, counselor, organisation):
    dupont = EpisodeFactory(
        organisation=organisation, referent=counselor, person=PersonFactory(last_name="Dupont")
    )
    martin = EpisodeFactory(
        organisation=organisation, referent=counselor, person=PersonFactory(last_name="Martin")
    )
    client.force_login(counselor)

    content = client.get(reverse("cases:portfolio"), {"q": "dup"}).content.decode()

    assert dupont.person.full_name in content
    assert martin.person.full_name not in content


def test_portfolio_reports_an_invalid_filter_and_ignores_it(client, counselor, episode):
    client.force_login(counselor)

    response = client.get(reverse("cases:portfolio"), {"no_contact_days": "abc"})

    assert response.status_code == 200
    assert episode.person.full_name in response.content.decode()
    assert 'class="errorlist' in response.content.decode()


def test_portfolio_htmx_request_returns_the_table_partial_only(client, counselor, episode):
    client.force_login(counselor)

    response = client.get(reverse("cases:portfolio"), {"stage": "welcome"}, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="portfolio-results"' in content
    assert episode.person.full_name in content
    assert "<html" not in content
    assert "<form" not in content


def _make_portfolio(counselor, organisation, size):
    for _ in range(size):
        episode = EpisodeFactory(
            organisation=organisation, referent=counselor, last_contact_at=timezone.now()
        )
        AppointmentFactory(episode=episode)


def test_portfolio_query_count_does_not_grow_with_the_portfolio(client, counselor, organisation, settings):
    settings.PARCOURS_PAGE_SIZE = 50
    client.force_login(counselor)
    _make_portfolio(counselor, organisation, 3)
    small = count_queries(client, reverse("cases:portfolio"))
    _make_portfolio(counselor, organisation, 27)
    large = count_queries(client, reverse("cases:portfolio"))

    assert small == large
    assert large <= 8  # 7 to read, 1 to log the reads of the page (AccessLog)


def test_team_portfolio_query_count_does_not_grow(client, manager, counselor, organisation, settings):
    settings.PARCOURS_PAGE_SIZE = 50
    client.force_login(manager)
    _make_portfolio(counselor, organisation, 3)
    small = count_queries(client, reverse("cases:portfolio") + "?team=on")
    _make_portfolio(counselor, organisation, 27)
    large = count_queries(client, reverse("cases:portfolio") + "?team=on")

    assert small == large


def test_portfolio_is_paginated(client, counselor, organisation, settings):
    settings.PARCOURS_PAGE_SIZE = 2
    _make_portfolio(counselor, organisation, 3)
    client.force_login(counselor)

    first = client.get(reverse("cases:portfolio")).content.decode()
    second = client.get(reverse("cases:portfolio"), {"page": "2"}).content.decode()

    assert "Page 1 sur 2" in first
    assert "Page 2 sur 2" in second


def test_portfolio_is_refused_to_users_without_case_work(client, analyst):
    client.force_login(analyst)

    assert client.get(reverse("cases:portfolio")).status_code == 403


def test_portfolio_renders_in_english(client, counselor, episode):
    client.force_login(counselor)
    client.cookies.load({"django_language": "en"})

    response = client.get(reverse("cases:portfolio"))

    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


# --- Alerts ----------------------------------------------------------------------------------


def test_alerts_list_overdue_people_oldest_first_with_days_and_contact_link(client, counselor, organisation):
    today = timezone.localdate()
    slightly = EpisodeFactory(
        organisation=organisation, referent=counselor, next_contact_due=today - datetime.timedelta(days=2)
    )
    badly = EpisodeFactory(
        organisation=organisation, referent=counselor, next_contact_due=today - datetime.timedelta(days=20)
    )
    fine = EpisodeFactory(organisation=organisation, referent=counselor, next_contact_due=today)
    client.force_login(counselor)

    content = client.get(reverse("cases:alerts")).content.decode()

    assert content.index(badly.person.full_name) < content.index(slightly.person.full_name)
    assert fine.person.full_name not in content
    assert "en retard de 20 jours" in content
    assert f"?contact={badly.public_id}#contact-{badly.public_id}" in content


def test_alerts_show_the_team_to_a_manager_only(client, manager, counselor, colleague, organisation):
    late = EpisodeFactory(organisation=organisation, referent=counselor, overdue=True)
    client.force_login(colleague)
    assert late.person.full_name not in client.get(reverse("cases:alerts")).content.decode()
    client.force_login(manager)
    assert late.person.full_name in client.get(reverse("cases:alerts")).content.decode()


def test_alerts_query_count_does_not_grow(client, counselor, organisation, settings):
    settings.PARCOURS_PAGE_SIZE = 50
    client.force_login(counselor)
    for _ in range(3):
        EpisodeFactory(organisation=organisation, referent=counselor, overdue=True)
    small = count_queries(client, reverse("cases:alerts"))
    for _ in range(27):
        EpisodeFactory(organisation=organisation, referent=counselor, overdue=True)
    large = count_queries(client, reverse("cases:alerts"))

    assert small == large
    assert large <= 7


def test_contact_link_from_alerts_opens_the_contact_form(client, counselor, episode):
    client.force_login(counselor)

    content = client.get(detail_url(episode.person), {"contact": str(episode.public_id)}).content.decode()

    assert f'<details id="contact-{episode.public_id}" open>' in content


# --- Contacts and appointments from the person page ------------------------------------------


def test_recording_a_contact_from_the_person_page_creates_the_contact_and_event(client, counselor, episode):
    client.force_login(counselor)
    occurred = timezone.localtime() - datetime.timedelta(hours=1)

    response = client.post(
        episode_url("record_contact", episode),
        {
            "channel": "phone",
            "direction": "inbound",
            "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "15",
            "summary": "Point sur les candidatures",
            "section": "general",
        },
    )

    assert response.status_code == 302
    assert response.url.startswith(detail_url(episode.person))
    contact = Contact.objects.get(episode=episode)
    assert (contact.channel, contact.direction, contact.duration_minutes) == ("phone", "inbound", 15)
    assert CaseEvent.objects.filter(episode=episode, kind=CaseEvent.Kind.CONTACT_RECORDED).exists()
    episode.refresh_from_db()
    assert episode.last_contact_at is not None


def test_contact_in_the_future_is_refused_and_the_input_kept(client, counselor, episode):
    client.force_login(counselor)
    future = timezone.localtime() + datetime.timedelta(days=2)

    response = client.post(
        episode_url("record_contact", episode),
        {
            "channel": "phone",
            "direction": "outbound",
            "occurred_at": future.strftime("%Y-%m-%dT%H:%M"),
            "summary": "Texte saisi à garder",
            "section": "general",
        },
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "Texte saisi à garder" in content
    assert "planifiez plutôt un rendez-vous" in content
    assert not Contact.objects.exists()


def test_colleague_cannot_record_a_sensitive_contact(client, colleague, episode):
    client.force_login(colleague)

    response = client.post(
        episode_url("record_contact", episode),
        {
            "channel": "phone",
            "direction": "outbound",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "section": "health",
        },
    )

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_sensitive_contact_is_hidden_from_colleague_and_shown_to_referent(
    client, counselor, colleague, episode
):
    actions.record_contact(
        episode, by=counselor, channel="phone", summary="Suivi médical confidentiel", section="health"
    )
    actions.record_contact(episode, by=counselor, channel="email", summary="Envoi du CV", section="general")

    client.force_login(counselor)
    referent_view = client.get(detail_url(episode.person)).content.decode()
    client.force_login(colleague)
    colleague_view = client.get(detail_url(episode.person)).content.decode()

    assert "Suivi médical confidentiel" in referent_view
    assert "Suivi médical confidentiel" not in colleague_view
    assert "Envoi du CV" in colleague_view
    # Sensitive sections are offered in the contact form to the referent only.
    assert 'value="health"' in referent_view
    assert 'value="health"' not in colleague_view


def test_planning_an_appointment_creates_it_and_its_event(client, counselor, episode):
    client.force_login(counselor)
    when = timezone.localtime() + datetime.timedelta(days=3)

    response = client.post(
        episode_url("plan_appointment", episode),
        {
            "scheduled_at": when.strftime("%Y-%m-%dT%H:%M"),
            "channel": "video",
            "duration_minutes": "30",
            "purpose": "Préparer l'entretien",
        },
    )

    assert response.status_code == 302
    appointment = Appointment.objects.get(episode=episode)
    assert (appointment.channel, appointment.purpose, appointment.with_user) == (
        "video",
        "Préparer l'entretien",
        counselor,
    )
    assert CaseEvent.objects.filter(episode=episode, kind=CaseEvent.Kind.APPOINTMENT_PLANNED).exists()
    page = client.get(detail_url(episode.person)).content.decode()
    assert "Préparer l&#x27;entretien" in page


@pytest.mark.parametrize(
    ("outcome", "status", "cancelled_by"),
    [
        ("missed", Appointment.Status.MISSED, ""),
        ("cancelled_person", Appointment.Status.CANCELLED, "person"),
        ("cancelled_staff", Appointment.Status.CANCELLED, "staff"),
    ],
)
def test_appointment_can_be_marked_missed_or_cancelled(
    client, counselor, episode, outcome, status, cancelled_by
):
    appointment = AppointmentFactory(episode=episode)
    client.force_login(counselor)

    response = client.post(
        episode_url("update_appointment", episode, appointment_id=appointment.pk), {"outcome": outcome}
    )

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by) == (status, cancelled_by)


def test_held_appointment_becomes_a_contact(client, counselor, episode):
    appointment = AppointmentFactory(
        episode=episode, scheduled_at=timezone.now() - datetime.timedelta(hours=2)
    )
    client.force_login(counselor)

    client.post(
        episode_url("update_appointment", episode, appointment_id=appointment.pk), {"outcome": "held"}
    )

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.HELD
    assert appointment.contact is not None


def test_future_appointment_cannot_be_marked_held(client, counselor, episode):
    appointment = AppointmentFactory(episode=episode)
    client.force_login(counselor)

    response = client.post(
        episode_url("update_appointment", episode, appointment_id=appointment.pk),
        {"outcome": "held"},
        follow=True,
    )

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.PLANNED
    assert "une fois commencé" in response.content.decode()


# --- Stage, intensity, referent, closure ------------------------------------------------------


def test_stage_change_to_an_allowed_stage(client, counselor, episode):
    client.force_login(counselor)

    response = client.post(
        episode_url("change_stage", episode), {"stage": "assessment", "version": episode.version}
    )

    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.stage == Stage.ASSESSMENT


def test_stage_form_offers_only_allowed_transitions(client, counselor, episode):
    client.force_login(counselor)

    content = client.get(detail_url(episode.person)).content.decode()
    start = content.index(episode_url("change_stage", episode))
    form = content[start : content.index("</form>", start)]

    assert 'value="assessment"' in form
    assert 'value="job_search"' not in form
    assert 'value="closed"' not in form


def test_stage_change_to_a_forbidden_stage_is_refused_with_a_message(client, counselor, episode):
    client.force_login(counselor)

    response = client.post(
        episode_url("change_stage", episode), {"stage": "employed", "version": episode.version}
    )

    assert response.status_code == 400
    assert "n&#x27;est pas possible depuis l&#x27;étape actuelle" in response.content.decode()
    episode.refresh_from_db()
    assert episode.stage == Stage.WELCOME


def test_stage_change_on_a_stale_version_is_a_conflict(client, counselor, colleague, episode):
    client.force_login(counselor)
    stale_version = episode.version
    actions.change_intensity(episode, by=colleague, intensity="intensive", reason="Besoin renforcé")

    response = client.post(
        episode_url("change_stage", episode),
        {"stage": "assessment", "reason": "Bilan prévu", "version": stale_version},
    )

    assert response.status_code == 409
    content = response.content.decode()
    assert "modifié par quelqu&#x27;un d&#x27;autre" in content
    assert "Bilan prévu" in content
    episode.refresh_from_db()
    assert episode.stage == Stage.WELCOME


def test_intensity_change_requires_a_reason(client, counselor, episode):
    client.force_login(counselor)

    response = client.post(
        episode_url("change_intensity", episode),
        {"intensity": "intensive", "reason": "", "version": episode.version},
    )

    assert response.status_code == 400
    assert "Indiquez le motif" in response.content.decode()
    episode.refresh_from_db()
    assert episode.intensity == "guided"


def test_intensity_change_with_reason_updates_target_and_approach(client, counselor, episode):
    client.force_login(counselor)

    response = client.post(
        episode_url("change_intensity", episode),
        {
            "intensity": "intensive",
            "approach": "global",
            "reason": "Freins de mobilité",
            "version": episode.version,
        },
    )

    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.intensity, episode.approach, episode.contact_target_days) == ("intensive", "global", 14)
    page = client.get(detail_url(episode.person)).content.decode()
    assert "Intensité : Guidé (30 j) → Renforcé (14 j)" in page


def test_hand_over_records_history_and_the_new_referent_sees_the_person(
    client, counselor, colleague, episode
):
    client.force_login(counselor)

    response = client.post(
        episode_url("hand_over", episode),
        {"to_referent": colleague.pk, "reason": "Congé long", "version": episode.version},
    )

    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.referent == colleague
    assert ReferentAssignment.objects.filter(
        episode=episode, referent=colleague, reason="Congé long"
    ).exists()
    client.force_login(colleague)
    assert episode.person.full_name in client.get(reverse("cases:portfolio")).content.decode()
    page = client.get(detail_url(episode.person)).content.decode()
    assert "Congé long" in page


def test_hand_over_offers_only_colleagues_of_the_organisation(
    client, counselor, colleague, outsider, analyst, episode
):
    client.force_login(counselor)

    content = client.get(detail_url(episode.person)).content.decode()
    start = content.index(episode_url("hand_over", episode))
    form = content[start : content.index("</form>", start)]

    assert f'value="{colleague.pk}"' in form
    assert f'value="{outsider.pk}"' not in form
    assert f'value="{analyst.pk}"' not in form


def test_a_large_agency_lists_the_site_s_colleagues_first_and_all_on_demand(client, counselor, organisation):
    from parcours.accounts.models import Membership
    from parcours.cases.forms import HANDOVER_LIST_LIMIT
    from tests.organisations.factories import SiteFactory

    here, there = (
        SiteFactory(organisation=organisation, name="Roubaix"),
        SiteFactory(organisation=organisation),
    )
    Membership.objects.filter(user=counselor, organisation=organisation).update(site=here)
    same_site = [member(organisation, last_name=f"Ici{i:02d}") for i in range(5)]
    Membership.objects.filter(user__in=same_site).update(site=here)
    across = member(organisation, last_name="Partout")  # no site: works across sites
    elsewhere = [member(organisation, last_name=f"Ailleurs{i:02d}") for i in range(HANDOVER_LIST_LIMIT)]
    Membership.objects.filter(user__in=elsewhere).update(site=there)
    episode = EpisodeFactory(organisation=organisation, referent=counselor, site=here)
    client.force_login(counselor)

    def handover_form(content):
        start = content.index(episode_url("hand_over", episode))
        return content[start : content.index("</form>", start)]

    content = client.get(detail_url(episode.person)).content.decode()
    form = handover_form(content)
    assert all(f'value="{u.pk}"' in form for u in [*same_site, across])
    assert not any(f'value="{u.pk}"' in form for u in elsewhere)
    assert f"?referents={episode.public_id}" in content
    # On demand, every colleague of the organisation.
    content = client.get(detail_url(episode.person), {"referents": str(episode.public_id)}).content.decode()
    form = handover_form(content)
    assert all(f'value="{u.pk}"' in form for u in [*same_site, across, *elsewhere])
    # A colleague of another site is accepted whichever list was shown.
    response = client.post(
        episode_url("hand_over", episode),
        {"to_referent": elsewhere[0].pk, "reason": "Déménagement", "version": episode.version},
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.referent == elsewhere[0]


def test_colleague_choices_are_case_colleagues_in_the_same_order_with_the_same_site(organisation, counselor):
    """The person page's light list (colleague_choices) gives what case_colleagues gives: the same
    people, in the same order, each with the site of their first membership and their name."""
    from parcours.accounts.models import Membership, Role
    from parcours.cases.forms import case_colleagues, colleague_choices
    from tests.organisations.factories import SiteFactory

    here, there = SiteFactory(organisation=organisation), SiteFactory(organisation=organisation)
    twice = member(organisation, first_name="Zoé", last_name="Martin")
    Membership.objects.filter(user=twice).update(site=there)
    Membership.objects.create(user=twice, organisation=organisation, role=Role.MANAGER, site=here)
    nameless = member(organisation, first_name="", last_name="", username="sans-nom")
    gone = member(organisation, last_name="Parti")
    gone.is_active = False
    gone.save()
    left = member(organisation, last_name="Ancienne")
    Membership.objects.filter(user=left).update(is_active=False)
    member(organisation, role=Role.ANALYST, last_name="Analyste")

    expected = [
        (u.pk, u.get_full_name() or u.username, u.member_site_id) for u in case_colleagues(organisation.pk)
    ]
    assert [tuple(c) for c in colleague_choices(organisation.pk)] == expected
    assert (twice.pk, "Zoé Martin", there.pk) in expected
    assert (nameless.pk, "sans-nom", None) in expected
    assert {gone.pk, left.pk}.isdisjoint(pk for pk, _, _ in expected)
    assert counselor.pk in [pk for pk, _, _ in expected]


def test_hand_over_to_an_outsider_is_refused(client, counselor, outsider, episode):
    client.force_login(counselor)

    response = client.post(
        episode_url("hand_over", episode),
        {"to_referent": outsider.pk, "reason": "x", "version": episode.version},
    )

    assert response.status_code == 400
    episode.refresh_from_db()
    assert episode.referent == counselor


def test_closing_an_episode_requires_an_end_reason(client, counselor, episode):
    client.force_login(counselor)

    refused = client.post(episode_url("close_episode", episode), {"reason": "", "version": episode.version})
    closed = client.post(
        episode_url("close_episode", episode), {"reason": "training", "version": episode.version}
    )

    assert refused.status_code == 400
    assert closed.status_code == 302
    episode.refresh_from_db()
    assert (episode.stage, episode.end_reason) == (Stage.CLOSED, "training")


# --- Follow-up members -----------------------------------------------------------------------


def test_adding_a_follow_up_member_explains_that_consent_is_required(
    client, counselor, episode, other_organisation
):
    professional = member(other_organisation, Role.COUNSELOR, username="sam", email="sam@example.org")
    client.force_login(counselor)

    response = client.post(
        episode_url("add_follow_up_member", episode),
        {"identifier": "SAM@example.org", "role": "Assistante sociale", "access_level": "standard"},
        follow=True,
    )

    assert FollowUpMember.objects.filter(
        episode=episode, user=professional, organisation=other_organisation
    ).exists()
    content = response.content.decode()
    assert "doit consentir" in content
    assert "manquant — pas d'accès" in content


def test_unknown_follow_up_professional_keeps_the_input(client, counselor, episode):
    client.force_login(counselor)

    response = client.post(
        episode_url("add_follow_up_member", episode),
        {"identifier": "nobody", "role": "Éducateur spécialisé", "access_level": "standard"},
    )

    assert response.status_code == 400
    assert "Éducateur spécialisé" in response.content.decode()
    assert not FollowUpMember.objects.exists()


def test_ending_a_follow_up_membership(client, counselor, episode, follower):
    membership = FollowUpMember.objects.get(user=follower)
    client.force_login(counselor)

    client.post(episode_url("end_follow_up_member", episode, member_id=membership.pk))

    membership.refresh_from_db()
    assert membership.ended_at is not None


def test_follow_up_member_reads_the_person_but_cannot_change_the_episode(client, follower, episode):
    client.force_login(follower)

    page = client.get(detail_url(episode.person))
    response = client.post(
        episode_url("change_stage", episode), {"stage": "assessment", "version": episode.version}
    )

    assert page.status_code == 200
    assert episode_url("record_contact", episode) not in page.content.decode()
    assert response.status_code == 403


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["change_stage", "change_intensity", "hand_over", "close_episode", "record_contact", "plan_appointment"],
)
def test_outsider_gets_404_on_every_episode_change(client, outsider, episode, name):
    client.force_login(outsider)

    response = client.post(episode_url(name, episode), {"version": episode.version})

    assert response.status_code == 404


def test_episode_changes_require_post(client, counselor, episode):
    client.force_login(counselor)

    assert client.get(episode_url("change_stage", episode)).status_code == 405


# --- Opening an episode for a known person ----------------------------------------------------


def test_open_episode_for_a_person_whose_previous_episode_is_closed(client, counselor, organisation):
    previous = EpisodeFactory(organisation=organisation, referent=counselor, closed=True)
    person = previous.person
    client.force_login(counselor)
    assert client.get(detail_url(person)).status_code == 404

    page = client.get(reverse("intake:open_episode", kwargs={"person_public_id": person.public_id}))
    response = client.post(
        reverse("intake:open_episode", kwargs={"person_public_id": person.public_id}),
        {"organisation": organisation.pk, "intensity": "intensive", "approach": "global"},
    )

    assert page.status_code == 200
    assert response.status_code == 302
    reopened = SupportEpisode.objects.open().get(person=person)
    assert (reopened.referent, reopened.intensity) == (counselor, "intensive")
    assert client.get(detail_url(person)).status_code == 200


def test_open_episode_twice_is_refused_with_a_message(client, counselor, organisation, episode):
    client.force_login(counselor)

    response = client.post(
        reverse("intake:open_episode", kwargs={"person_public_id": episode.person.public_id}),
        {"organisation": organisation.pk, "intensity": "guided", "approach": "sequential"},
    )

    assert response.status_code == 400
    assert "Impossible d&#x27;ouvrir" in response.content.decode()
    assert SupportEpisode.objects.filter(person=episode.person).count() == 1


def test_open_episode_is_404_for_people_known_only_to_other_organisations(client, outsider, episode):
    client.force_login(outsider)

    response = client.get(
        reverse("intake:open_episode", kwargs={"person_public_id": episode.person.public_id})
    )

    assert response.status_code == 404


def test_consent_for_a_follow_up_organisation_can_be_recorded_from_the_episode(
    client, counselor, episode, other_organisation
):
    FollowUpMemberFactory(episode=episode, organisation=other_organisation)
    client.force_login(counselor)

    client.post(
        reverse("people:give_consent", kwargs={"public_id": episode.person.public_id}),
        {"organisation": other_organisation.pk, "scope": "case_file"},
    )

    assert Consent.objects.active().filter(person=episode.person, organisation=other_organisation).exists()


def test_plain_select_renders_the_same_options_as_django_s_select():
    import re

    from django import forms

    from parcours.cases.forms import PlainSelect

    choices = [("", "---------"), (1, "Amélie <b>"), (2, "Bob & co")]

    def rendered(widget):
        class Form(forms.Form):
            x = forms.ChoiceField(choices=choices, widget=widget)

        html = str(Form(data={"x": "2"})["x"])
        return sorted(re.findall(r"<select[^>]*>", html)[0][7:-1].split()), re.findall(
            r"<option[^>]*>[^<]*", html
        )

    assert rendered(PlainSelect) == rendered(forms.Select)
