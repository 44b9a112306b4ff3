"""Conversations between the person and the professionals of an episode, and each
organisation's settings for reminders and outreach."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.cases import access

# --- Conversations between the person and the professionals of an episode ------------------------


class ThreadQuerySet(models.QuerySet):
    def for_person(self, person):
        return self.filter(episode__person=person)

    def visible_to(self, user):
        """Threads of the episodes the user may see (the episode's staff, consented followers)."""
        return self.filter(episode__in=access.episodes(user))


class Thread(models.Model):
    """A conversation about one episode between the person and the professionals who follow it."""

    episode = models.ForeignKey("cases.SupportEpisode", on_delete=models.CASCADE, related_name="threads")
    subject = models.CharField(_("objet"), max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [models.Index(fields=["episode", "last_message_at"])]

    def __str__(self) -> str:
        return self.subject


class Message(models.Model):
    """One message: written by a professional (`author`) or by the person (`author` empty)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who the person sees as the writer (name, role and organisation at the time of writing).
    author_label = models.CharField(max_length=200)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        return f"message {self.pk}"

    @property
    def by_person(self) -> bool:
        return self.author_id is None


class Attachment(models.Model):
    """A PDF or image joined to a message; checked for type and size, stored through Django's
    storage, served only through the views that check access."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="messages/%Y/%m/")
    name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")

    def __str__(self) -> str:
        return self.name


class ThreadRead(models.Model):
    """Up to when a reader (a professional, or the person when `user` is empty) has read a thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="thread_read_unique_user"),
            models.UniqueConstraint(
                fields=["thread"], condition=Q(user__isnull=True), name="thread_read_unique_person"
            ),
        ]

    def __str__(self) -> str:
        return f"lu {self.read_at:%Y-%m-%d}"


def default_reminder_days() -> list[int]:
    return [2, 1]


class OutreachSettings(models.Model):
    """An organisation's choices for reminders and outreach (defaults apply without a row)."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="outreach_settings"
    )
    reminder_days = models.JSONField(
        _("rappels de rendez-vous (jours avant)"), default=default_reminder_days, blank=True
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("alerte au responsable après (jours sans contact au-delà de l'objectif)"), default=14
    )

    class Meta:
        verbose_name = _("réglage des rappels et relances")
        verbose_name_plural = _("réglages des rappels et relances")

    def __str__(self) -> str:
        return f"{self.organisation}"
