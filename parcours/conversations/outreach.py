"""Reminders and outreach, run as periodic jobs (`parcours messaging remind-appointments`,
`missed-appointments`, `lapses`). Each is idempotent: every message has a dedupe key, so running a
job twice the same day sends nothing new. Everything goes through the delivery layer (quiet
hours, opt-out, channel choice)."""

import datetime
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Membership, Role
from parcours.agenda.actions import bookable_slots, issue_appointment_link
from parcours.cases.models import Appointment, SupportEpisode
from parcours.conversations.models import OutreachSettings, default_reminder_days
from parcours.messaging.actions import queue_message
from parcours.messaging.models import OutboundMessage

logger = logging.getLogger(__name__)


def _queue_once(**kwargs) -> bool:
    """Queue unless a message with this dedupe key exists; True when a new one was queued."""
    if OutboundMessage.objects.filter(dedupe_key=kwargs["dedupe_key"]).exists():
        return False
    queue_message(**kwargs)
    return True


def _url(name: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name)


def _settings_by_organisation(organisation_ids) -> dict[int, OutreachSettings]:
    found = {
        s.organisation_id: s for s in OutreachSettings.objects.filter(organisation_id__in=organisation_ids)
    }
    return {
        org_id: found.get(org_id)
        or OutreachSettings(organisation_id=org_id, reminder_days=default_reminder_days())
        for org_id in organisation_ids
    }


def _how_to_change(appointment: Appointment) -> str:
    """A one-time link to confirm, cancel or rebook without logging in (parcours.agenda)."""
    token = issue_appointment_link(appointment)
    link = settings.SITE_URL.rstrip("/") + reverse("portal:appointment_link", kwargs={"token": token})
    text = f"Pour confirmer, annuler ou choisir un autre créneau : {link}"
    phone = appointment.episode.organisation.phone
    return f"{text} (ou appelez le {phone})." if phone else text


def _offer_booking(episode: SupportEpisode) -> str:
    """After a missed appointment: self-booking when the person has a space and their referent
    publishes free slots, else a way to reach the counselor."""
    account = getattr(episode.person, "portal_account", None)
    if account is not None and account.is_active and bookable_slots(episode):
        return f"Choisissez un nouveau créneau vous-même : {_url('portal:book')}"
    if account is not None and account.is_active:
        return f"Vous pouvez aussi lui écrire : {_url('portal:threads')}"
    phone = episode.organisation.phone
    return f"Vous pouvez appeler le {phone}." if phone else ""


def remind_appointments(*, today: datetime.date | None = None) -> dict[str, int]:
    """A reminder per planned appointment, each configured number of days before (J-2, J-1)."""
    today = today or timezone.localdate()
    all_days = {d for s in OutreachSettings.objects.values_list("reminder_days", flat=True) for d in s}
    horizon = max(all_days | set(default_reminder_days()))
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    upcoming = (
        Appointment.objects.filter(
            status=Appointment.Status.PLANNED,
            scheduled_at__gte=start + datetime.timedelta(days=1),
            scheduled_at__lt=start + datetime.timedelta(days=horizon + 1),
            episode__ended_on__isnull=True,
        )
        .select_related("episode__person__portal_account", "episode__organisation", "site")
        .order_by("scheduled_at")
    )
    upcoming = list(upcoming)
    org_settings = _settings_by_organisation({a.episode.organisation_id for a in upcoming})
    sent = 0
    for appointment in upcoming:
        local = timezone.localtime(appointment.scheduled_at)
        days_before = (local.date() - today).days
        if days_before not in org_settings[appointment.episode.organisation_id].reminder_days:
            continue
        dedupe_key = f"reminder:{appointment.pk}:{local.date().isoformat()}:J-{days_before}"
        if OutboundMessage.objects.filter(dedupe_key=dedupe_key).exists():
            continue  # checked before issuing a link: a second run makes no orphan link
        where = appointment.site.name if appointment.site_id else appointment.get_channel_display()
        body = (
            f"Rappel : rendez-vous le {local:%d/%m/%Y} à {local:%H:%M} avec "
            f"{appointment.episode.organisation.name} ({where}). {_how_to_change(appointment)}"
        ).strip()
        sent += _queue_once(
            person=appointment.episode.person,
            kind=OutboundMessage.Kind.APPOINTMENT_REMINDER,
            subject="Rappel de rendez-vous",
            body=body,
            organisation=appointment.episode.organisation,
            dedupe_key=dedupe_key,
        )
    logger.info("appointment_reminders queued=%s", sent)
    return {"reminders": sent}


def follow_up_missed_appointments(*, today: datetime.date | None = None, days: int = 2) -> dict[str, int]:
    """For each appointment marked missed in the last `days` days: the referent is alerted and the
    person is offered a new slot."""
    today = today or timezone.localdate()
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time.min)
    )
    missed = Appointment.objects.filter(
        status=Appointment.Status.MISSED, scheduled_at__gte=since, episode__ended_on__isnull=True
    ).select_related("episode__person__portal_account", "episode__organisation", "episode__referent")
    alerts = 0
    for appointment in missed:
        episode = appointment.episode
        local = timezone.localtime(appointment.scheduled_at)
        alerts += _queue_once(
            user=episode.referent,
            kind=OutboundMessage.Kind.MISSED_APPOINTMENT,
            subject="[Parcours] Rendez-vous non honoré",
            body=(
                f"Un rendez-vous du {local:%d/%m/%Y à %H:%M} n'a pas été honoré. Proposez un autre créneau.\n\n"
                + settings.SITE_URL.rstrip("/")
                + reverse("people:detail", kwargs={"public_id": episode.person.public_id})
            ),
            organisation=episode.organisation,
            dedupe_key=f"missed:{appointment.pk}:referent",
        )
        _queue_once(
            person=episode.person,
            kind=OutboundMessage.Kind.MISSED_APPOINTMENT,
            subject="Votre rendez-vous manqué",
            body=(
                f"Bonjour, nous ne vous avons pas vu au rendez-vous du {local:%d/%m/%Y}. "
                "Ce n'est pas grave : votre conseiller·ère va vous proposer un autre rendez-vous. "
                + _offer_booking(episode)
            ).strip(),
            organisation=episode.organisation,
            dedupe_key=f"missed:{appointment.pk}:person",
        )
    return {"missed": alerts}


def reach_out_on_lapses(*, today: datetime.date | None = None) -> dict[str, int]:
    """Open episodes whose contact is overdue (past their intensity target): a nudge to the
    person, a daily digest to each referent, and an alert to the organisation's managers once an
    episode is overdue by more than the organisation's escalation delay."""
    today = today or timezone.localdate()
    overdue = list(
        SupportEpisode.objects.overdue(today)
        .select_related("person__portal_account", "organisation", "referent")
        .order_by("referent_id", "next_contact_due")
    )
    org_settings = _settings_by_organisation({e.organisation_id for e in overdue})
    nudges = escalations = digests = 0
    by_referent: dict[int, list[SupportEpisode]] = {}
    for episode in overdue:
        by_referent.setdefault(episode.referent_id, []).append(episode)
        account = getattr(episode.person, "portal_account", None)
        reach = f"Écrivez-lui : {_url('portal:threads')}" if account and account.is_active else ""
        nudges += _queue_once(
            person=episode.person,
            kind=OutboundMessage.Kind.LAPSE_NUDGE,
            subject="Des nouvelles ?",
            body=(
                f"Bonjour, votre conseiller·ère de {episode.organisation.name} aimerait prendre de vos nouvelles. "
                + (
                    reach
                    or (f"Appelez le {episode.organisation.phone}." if episode.organisation.phone else "")
                )
            ).strip(),
            organisation=episode.organisation,
            dedupe_key=f"nudge:{episode.pk}:{episode.next_contact_due.isoformat()}",
        )
        late = (today - episode.next_contact_due).days
        if late > org_settings[episode.organisation_id].escalate_after_days:
            managers = Membership.objects.filter(
                organisation_id=episode.organisation_id, role=Role.MANAGER, is_active=True
            ).select_related("user")
            for membership in managers:
                escalations += _queue_once(
                    user=membership.user,
                    kind=OutboundMessage.Kind.ESCALATION,
                    subject="[Parcours] Contact rompu depuis longtemps",
                    body=(
                        f"Un accompagnement suivi par {episode.referent} est sans contact depuis {late} jours "
                        f"au-delà de son objectif.\n\n{_url('cases:alerts')}"
                    ),
                    organisation=episode.organisation,
                    dedupe_key=f"escalation:{episode.pk}:{episode.next_contact_due.isoformat()}:m{membership.user_id}",
                )
    for episodes in by_referent.values():
        referent = episodes[0].referent
        digests += _queue_once(
            user=referent,
            kind=OutboundMessage.Kind.REFERENT_DIGEST,
            subject=f"[Parcours] {len(episodes)} personne(s) sans contact récent",
            body=(
                f"{len(episodes)} des personnes que vous accompagnez n'ont pas eu de contact dans le délai "
                f"prévu. Elles ont reçu un message les invitant à vous recontacter.\n\n{_url('cases:alerts')}"
            ),
            dedupe_key=f"digest:{referent.pk}:{today.isoformat()}",
        )
    return {"nudges": nudges, "digests": digests, "escalations": escalations}
