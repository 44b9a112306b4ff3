"""The intensity check: which contacts keep an episode within its contact target. ONE rule, used by
every place that says whether contact has lapsed (the due date stored on the episode, read by the
portfolio, the team page, the alerts filter, the API, the outreach digests in
parcours.conversations.outreach, and the lapse-rate indicator in parcours.evaluation).

The rule (docs/portal.md, "Cross-operator intensity ledger"):

- A contact counts toward an episode's target when it was recorded on that episode, or on another
  episode of the same person — with any organisation, open or closed — while the person consents
  to share their file (consent scope ``case_file``) with the episode's organisation. That is the
  consent under which the organisation's staff read the other organisations' contacts on the
  person page (:func:`ledger`), so the check counts exactly what the counselor can see.
- An episode on the "autonomous online" intensity (``Intensity.ONLINE``) counts only remote
  contacts: messages (channel ``instant_messaging``, what parcours.conversations records), video
  contacts (``video``), and held appointments the person booked themselves (parcours.agenda),
  whatever their channel. A phone call, an SMS, an e-mail or a visit does not meet its target.
- The next contact is due ``contact_target_days`` after the last counted contact (even one before
  the episode started: the person was in touch), or after the start of the episode when there is
  none.

The due date is stored on the episode (``next_contact_due``, indexed for the portfolio) and
refreshed by :func:`refresh_contact_due` whenever its inputs change: a contact recorded on any
episode of the person, a case-file consent given or withdrawn, an intensity changed, an episode
opened. :func:`last_counted_contact` computes the same rule as of any moment (the indicator's
monthly snapshots read the consents valid at that moment).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Case, DateTimeField, Exists, OuterRef, Q, QuerySet, Subquery, When
from django.utils import timezone

from parcours.cases.models import Appointment, Contact, Intensity, SupportEpisode
from parcours.people.models import Channel, Consent

# The channels that meet an "autonomous online" target (plus self-booked appointments).
ONLINE_CHANNELS = (Channel.INSTANT_MESSAGING, Channel.VIDEO)


def online_contact_filter() -> Q:
    """Contacts that meet an "autonomous online" target: a message, a video contact, or a held
    appointment the person booked themselves."""
    self_booked = Appointment.objects.filter(contact=OuterRef("pk"), created_by__isnull=True)
    return Q(channel__in=ONLINE_CHANNELS) | Q(Exists(self_booked))


def sharing_consent(*, person_field: str, organisation_field: str, at: datetime.datetime | None = None):
    """The person's case-file consent for the organisation, valid at ``at`` (now by default)."""
    consents = Consent.objects.filter(
        person_id=OuterRef(person_field),
        organisation_id=OuterRef(organisation_field),
        scope=Consent.Scope.CASE_FILE,
    )
    if at is None:
        consents = consents.filter(withdrawn_at__isnull=True)
    else:
        consents = consents.filter(given_at__lt=at).filter(
            Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=at)
        )
    return Exists(consents)


def last_counted_contact(before: datetime.datetime | None = None):
    """An expression for SupportEpisode querysets: the moment of the last contact that counts
    toward the episode's target (see the module's rule), among contacts before ``before`` (all
    when None; consents as of ``before``, or current ones)."""

    def latest(contacts: QuerySet[Contact]):
        if before is not None:
            contacts = contacts.filter(occurred_at__lt=before)
        return Subquery(contacts.order_by("-occurred_at").values("occurred_at")[:1])

    own = Contact.objects.filter(episode_id=OuterRef("pk"))
    shared = Contact.objects.filter(episode__person_id=OuterRef("person_id"))
    online = Q(intensity=Intensity.ONLINE)
    consented = sharing_consent(person_field="person_id", organisation_field="organisation_id", at=before)
    return Case(
        When(online & consented, then=latest(shared.filter(online_contact_filter()))),
        When(online, then=latest(own.filter(online_contact_filter()))),
        When(consented, then=latest(shared)),
        default=latest(own),
        output_field=DateTimeField(),
    )


def due_date(episode: SupportEpisode, last_counted: datetime.datetime | None) -> datetime.date:
    """The day before which the next contact is due, from the last counted contact."""
    base = episode.started_on if last_counted is None else timezone.localdate(last_counted)
    return base + datetime.timedelta(days=episode.contact_target_days)


def is_lapsed(episode: SupportEpisode, last_counted: datetime.datetime | None, on: datetime.date) -> bool:
    """Contact has lapsed on day ``on``: the next contact was due before that day."""
    return due_date(episode, last_counted) < on


def refresh_contact_due(episodes: QuerySet[SupportEpisode] | Iterable[SupportEpisode]) -> int:
    """Recompute and store ``next_contact_due`` of the given episodes (open ones only; closed
    episodes have no due date to keep). Returns the number of episodes whose date changed.
    Bookkeeping, not an edit: the episode's version is left alone (parcours.cases.locking)."""
    if not isinstance(episodes, QuerySet):
        episodes = SupportEpisode.objects.filter(pk__in=[e.pk for e in episodes])
    rows = list(
        episodes.open()
        .annotate(counted=last_counted_contact())
        .only("pk", "started_on", "contact_target_days", "next_contact_due")
    )
    changed = []
    for episode in rows:
        due = due_date(episode, episode.counted)
        if due != episode.next_contact_due:
            episode.next_contact_due = due
            changed.append(episode)
    SupportEpisode.objects.bulk_update(changed, ["next_contact_due"], batch_size=1000)
    return len(changed)


def refresh_person(person_id: int) -> int:
    """Refresh the due dates of every open episode of one person (a contact or a consent of theirs
    changed)."""
    return refresh_contact_due(SupportEpisode.objects.filter(person_id=person_id))
