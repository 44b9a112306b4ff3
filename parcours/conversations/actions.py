"""State changes of conversations between the person and the professionals of an episode.

A message counts as a contact of the episode (channel: instant messaging) toward its intensity
target, at most once per episode, day and direction: ten messages in an afternoon are one
exchange, not ten contacts. The other side is notified through the delivery layer, without the
message's content."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import CASE_ROLES, Membership
from parcours.cases import access
from parcours.cases.actions import record_contact
from parcours.cases.models import Contact, SupportEpisode
from parcours.conversations.models import Attachment, Message, Thread, ThreadRead
from parcours.messaging.actions import queue_message
from parcours.messaging.models import OutboundMessage
from parcours.people.models import Channel

logger = logging.getLogger(__name__)

# What may be attached: the type announced by the browser must match the file's first bytes.
ALLOWED_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
MAX_ATTACHMENTS = 3


def check_attachment(upload) -> str:
    """The checked content type of an uploaded file, or ValidationError (type or size)."""
    if upload.size > settings.MESSAGE_ATTACHMENT_MAX_BYTES:
        raise ValidationError("file too large")
    head = upload.read(16)
    upload.seek(0)
    for content_type, signatures in ALLOWED_TYPES.items():
        if any(head.startswith(s) for s in signatures):
            return content_type
    raise ValidationError("only PDF, PNG and JPEG files")


def staff_label(user, episode: SupportEpisode) -> str:
    """How the person sees a professional: name, role, organisation."""
    membership = (
        Membership.objects.filter(user=user, is_active=True, organisation_id=episode.organisation_id)
        .select_related("organisation")
        .first()
    )
    if membership is None:
        member = episode.follow_up_members.filter(user=user).select_related("organisation").first()
        where = f"{member.role}, {member.organisation.name}" if member else ""
    else:
        where = f"{membership.get_role_display()}, {membership.organisation.name}"
    name = user.get_full_name() or user.username
    return f"{name} ({where})" if where else name


def _count_as_contact(episode: SupportEpisode, *, by, inbound: bool, at: datetime.datetime) -> None:
    direction = Contact.Direction.INBOUND if inbound else Contact.Direction.OUTBOUND
    start = timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)
    already = Contact.objects.filter(
        episode=episode,
        channel=Channel.INSTANT_MESSAGING,
        direction=direction,
        occurred_at__gte=start,
        occurred_at__lt=start + datetime.timedelta(days=1),
    ).exists()
    if not already and episode.is_open:
        record_contact(episode, by=by, channel=Channel.INSTANT_MESSAGING, direction=direction, occurred_at=at)


def _notify(thread: Thread, message: Message) -> None:
    episode = thread.episode
    hour = timezone.localtime(message.created_at).strftime("%Y%m%d%H")
    if message.by_person:
        # The referent (and the professionals who wrote in the thread), once an hour at most.
        writers = set(thread.messages.filter(author__isnull=False).values_list("author_id", flat=True))
        recipients = {episode.referent_id, *writers}
        from parcours.accounts.models import User

        link = settings.SITE_URL.rstrip("/") + reverse("conversations:thread", args=[thread.pk])
        for user in User.objects.filter(pk__in=recipients, is_active=True):
            queue_message(
                user=user,
                kind=OutboundMessage.Kind.NEW_MESSAGE,
                subject="[Parcours] Nouveau message d'une personne accompagnée",
                body=f"Une personne que vous accompagnez vous a écrit.\n\n{link}",
                dedupe_key=f"msg:{thread.pk}:u{user.pk}:{hour}",
            )
        return
    account = getattr(episode.person, "portal_account", None)
    if account is None or not account.is_active:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("portal:thread", args=[thread.pk])
    queue_message(
        person=episode.person,
        kind=OutboundMessage.Kind.NEW_MESSAGE,
        subject="Vous avez un nouveau message",
        body=f"Bonjour, vous avez un nouveau message de votre conseiller·ère sur Parcours : {link}",
        dedupe_key=f"msg:{thread.pk}:p:{hour}",
    )


def _require_can_write(episode: SupportEpisode, by) -> None:
    if by is None:
        return
    if not access.episodes(by).filter(pk=episode.pk).exists():
        raise PermissionDenied("not a professional of this episode")
    if not Membership.objects.filter(user=by, is_active=True, role__in=CASE_ROLES).exists():
        raise PermissionDenied("only counselors and managers write to people")


@transaction.atomic
def post_message(thread: Thread, *, by=None, body: str, files=()) -> Message:
    """`by` is the professional writing, or None when the person writes from their space."""
    body = (body or "").strip()
    if not body and not files:
        raise ValidationError("an empty message")
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(f"at most {MAX_ATTACHMENTS} files")
    episode = thread.episode
    if not episode.is_open:
        raise ValidationError("the episode is closed")
    _require_can_write(episode, by)
    checked = [(upload, check_attachment(upload)) for upload in files]
    now = timezone.now()
    message = Message.objects.create(
        thread=thread,
        author=by,
        author_label=staff_label(by, episode) if by else str(episode.person),
        body=body,
        created_at=now,
    )
    for upload, content_type in checked:
        Attachment.objects.create(
            message=message, file=upload, name=upload.name[:150], content_type=content_type, size=upload.size
        )
    Thread.objects.filter(pk=thread.pk).update(last_message_at=now)
    mark_read(thread, user=by, at=now)
    _count_as_contact(episode, by=by or episode.referent, inbound=by is None, at=now)
    _notify(thread, message)
    logger.info("thread=%s message=%s by_person=%s files=%s", thread.pk, message.pk, by is None, len(checked))
    return message


@transaction.atomic
def start_thread(episode: SupportEpisode, *, by=None, subject: str, body: str, files=()) -> Thread:
    subject = (subject or "").strip()[:150]
    if not subject:
        raise ValidationError("a conversation needs a subject")
    if not episode.is_open:
        raise ValidationError("the episode is closed")
    _require_can_write(episode, by)
    thread = Thread.objects.create(episode=episode, subject=subject)
    post_message(thread, by=by, body=body, files=files)
    return thread


def mark_read(thread: Thread, *, user=None, at=None) -> None:
    """`user` None: the person read it."""
    ThreadRead.objects.update_or_create(thread=thread, user=user, defaults={"read_at": at or timezone.now()})


def with_unread(threads, *, user=None):
    """Annotate `unread`: messages from the other side since the reader last read the thread."""
    last_read = ThreadRead.objects.filter(thread=OuterRef("pk"), user=user).values("read_at")[:1]
    others = Q(messages__author__isnull=False) if user is None else ~Q(messages__author=user)
    return threads.annotate(last_read=Subquery(last_read)).annotate(
        unread=Count(
            "messages",
            filter=others & (Q(last_read__isnull=True) | Q(messages__created_at__gt=Subquery(last_read))),
        )
    )
