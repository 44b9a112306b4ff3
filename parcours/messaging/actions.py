"""The one delivery layer: everything sent to people goes through queue_message (or, for login
codes, send_now). Each message is recorded, sent by a task once the transaction commits, retried
with backoff on temporary failures, held during quiet hours, and suppressed on opt-out."""

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from parcours.messaging.models import DeliveryChannel, OptOut, OutboundMessage
from parcours.messaging.sms import DeliveryError, get_sms_backend, normalise_phone, sms_available
from parcours.people.models import DigitalAutonomy, Person

logger = logging.getLogger(__name__)

# Minutes to wait before the 2nd, 3rd, ... attempt; after the last one the message has failed.
RETRY_DELAYS_MINUTES = (1, 5, 30, 120)
MAX_ATTEMPTS = len(RETRY_DELAYS_MINUTES) + 1
# A worker that claimed a message owns it this long (a crash mid-send releases it afterwards).
CLAIM_MINUTES = 5
MASKED_BODY = "(texte masqué : code de connexion à usage unique)"


# --- Channel and timing --------------------------------------------------------------------------


def opted_out_channels(person: Person) -> set[str]:
    return set(OptOut.objects.filter(person=person).values_list("channel", flat=True))


def choose_channel(person: Person) -> tuple[str, str] | None:
    """(channel, address) to reach the person, or None. The person's own preferences first
    (a preference for the phone means SMS), then what suits their digital autonomy: SMS first
    for people who do not use e-mail easily."""
    refused = opted_out_channels(person)
    available = {}
    if person.email and DeliveryChannel.EMAIL not in refused:
        available[DeliveryChannel.EMAIL] = person.email
    if person.phone and sms_available() and DeliveryChannel.SMS not in refused:
        available[DeliveryChannel.SMS] = normalise_phone(person.phone)
    preferred = ["sms" if c == "phone" else c for c in person.preferred_channels]
    if person.digital_autonomy in {DigitalAutonomy.NONE, DigitalAutonomy.PARTIAL}:
        by_autonomy = [DeliveryChannel.SMS, DeliveryChannel.EMAIL]
    else:
        by_autonomy = [DeliveryChannel.EMAIL, DeliveryChannel.SMS]
    for channel in [*preferred, *by_autonomy]:
        if channel in available:
            return str(channel), available[channel]
    return None


def in_quiet_hours(moment: datetime.datetime) -> bool:
    start, end = settings.PARCOURS_QUIET_HOURS
    hour = timezone.localtime(moment).hour
    return hour >= start or hour < end if start > end else start <= hour < end


def end_of_quiet_hours(moment: datetime.datetime) -> datetime.datetime:
    """The first moment at or after `moment` outside quiet hours (local time)."""
    if not in_quiet_hours(moment):
        return moment
    _start, end = settings.PARCOURS_QUIET_HOURS
    local = timezone.localtime(moment)
    candidate = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += datetime.timedelta(days=1)
    return candidate


# --- Queueing -------------------------------------------------------------------------------------


def queue_message(
    *,
    kind: str,
    body: str,
    subject: str = "",
    person: Person | None = None,
    user=None,
    organisation=None,
    urgent: bool = False,
    dedupe_key: str | None = None,
    to_email: str = "",
) -> OutboundMessage:
    """Record a message for a person (channel chosen for them) or a staff user (e-mail) and have
    it sent after the transaction commits. With a dedupe_key, a second call returns the first
    message instead of sending twice. `to_email` with a person: a message about the person sent
    to someone outside (their employer, with their consent) at that address by e-mail; the
    person's own channels and opt-outs do not apply to it."""
    if (person is None) == (user is None):
        raise TypeError("exactly one of person or user")
    if dedupe_key:
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    now = timezone.now()
    message = OutboundMessage(
        person=person,
        user=user,
        organisation=organisation,
        kind=kind,
        subject=subject[:200],
        body=body,
        urgent=urgent,
        dedupe_key=dedupe_key,
        next_attempt_at=now if urgent or user is not None else end_of_quiet_hours(now),
        created_at=now,
    )
    if to_email and person is None:
        raise TypeError("to_email is for a message about a person")
    if to_email:
        message.channel, message.to = DeliveryChannel.EMAIL, to_email
    elif person is not None:
        route = choose_channel(person)
        if route is None:
            message.status = OutboundMessage.Status.SUPPRESSED
            message.last_error = "no_channel"
        else:
            message.channel, message.to = route
    elif user.email:
        message.channel, message.to = DeliveryChannel.EMAIL, user.email
    else:
        message.status = OutboundMessage.Status.SUPPRESSED
        message.last_error = "no_address"
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:  # the same dedupe_key was queued concurrently: that one stands
        return OutboundMessage.objects.get(dedupe_key=dedupe_key)
    if message.status == OutboundMessage.Status.QUEUED:
        _enqueue(message)
    return message


def _enqueue(message: OutboundMessage) -> None:
    from parcours.messaging.tasks import deliver_outbound_message

    message_id = message.pk
    transaction.on_commit(lambda: deliver_outbound_message.enqueue(message_id=message_id))


def send_now(*, kind: str, channel: str, to: str, subject: str, body: str, person: Person) -> OutboundMessage:
    """Send at once, outside quiet hours and opt-outs, and store the text masked: for login codes,
    which the person asked for a minute ago and which must not sit in clear in the database."""
    message = OutboundMessage.objects.create(
        person=person, kind=kind, channel=channel, to=to, subject=subject, body=MASKED_BODY, urgent=True
    )
    return deliver_message(message.pk, text=body)


# --- Delivery ------------------------------------------------------------------------------------


def _transport(message: OutboundMessage, text: str) -> str:
    """Hand the message to the e-mail or SMS backend; returns the provider id."""
    if message.channel == DeliveryChannel.EMAIL:
        try:
            EmailMessage(subject=message.subject or "Parcours", body=text, to=[message.to]).send()
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email:{type(exc).__name__}", retryable=True) from exc
        return ""
    return get_sms_backend().send(to=message.to, text=text)


def deliver_message(message_id: int, *, text: str | None = None, now=None) -> OutboundMessage:
    """Try once to send a queued message whose time has come. Idempotent: a message already
    sent, failed or claimed by another worker is left alone."""
    now = now or timezone.now()
    message = OutboundMessage.objects.get(pk=message_id)
    if message.status != OutboundMessage.Status.QUEUED or message.next_attempt_at > now:
        return message
    claimed = OutboundMessage.objects.filter(
        pk=message.pk, status=OutboundMessage.Status.QUEUED, attempts=message.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + datetime.timedelta(minutes=CLAIM_MINUTES))
    if not claimed:
        return OutboundMessage.objects.get(pk=message.pk)
    message.refresh_from_db()
    try:
        provider_id = _transport(message, text if text is not None else message.body)
    except DeliveryError as exc:
        message.last_error = exc.code
        if exc.retryable and message.attempts < MAX_ATTEMPTS:
            delay = RETRY_DELAYS_MINUTES[message.attempts - 1]
            message.status = OutboundMessage.Status.QUEUED
            message.next_attempt_at = now + datetime.timedelta(minutes=delay)
        else:
            message.status = OutboundMessage.Status.FAILED
        message.save(update_fields=["status", "last_error", "next_attempt_at"])
        logger.warning(
            "outbound=%s channel=%s attempt=%s error=%s status=%s",
            message.pk,
            message.channel,
            message.attempts,
            exc.code,
            message.status,
        )
        return message
    message.status = OutboundMessage.Status.SENT
    message.sent_at = now
    message.provider_id = provider_id[:100]
    message.last_error = ""
    message.save(update_fields=["status", "sent_at", "provider_id", "last_error"])
    logger.info("outbound=%s channel=%s kind=%s sent", message.pk, message.channel, message.kind)
    return message


def deliver_due(*, now=None, limit: int = 500) -> dict[str, int]:
    """Send every queued message whose time has come. One failure never stops the batch."""
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    ids = list(
        OutboundMessage.objects.due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
    for message_id in ids:
        try:
            message = deliver_message(message_id, now=now)
        except Exception:  # a bug or a broken backend must not stop the others
            logger.exception("outbound=%s delivery crashed", message_id)
            counts["failed"] += 1
            continue
        if message.status == OutboundMessage.Status.SENT:
            counts["sent"] += 1
        elif message.status == OutboundMessage.Status.QUEUED:
            counts["retry"] += 1
        else:
            counts["failed"] += 1
    return counts


# --- The person's choices ------------------------------------------------------------------------


@transaction.atomic
def opt_out(person: Person, *, channel: str) -> None:
    if channel not in DeliveryChannel.values:
        raise ValueError("unknown channel")
    OptOut.objects.get_or_create(person=person, channel=channel)
    # What is waiting on that channel is not sent.
    OutboundMessage.objects.filter(
        person=person, channel=channel, status=OutboundMessage.Status.QUEUED
    ).exclude(kind=OutboundMessage.Kind.LOGIN_CODE).update(
        status=OutboundMessage.Status.SUPPRESSED, last_error="opted_out"
    )


@transaction.atomic
def opt_in(person: Person, *, channel: str) -> None:
    OptOut.objects.filter(person=person, channel=channel).delete()
