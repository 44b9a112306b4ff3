"""Everything Parcours sends to people (and the few alerts it sends to staff), recorded with its
delivery status, and the person's refusals of a channel."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Courriel")
    SMS = "sms", _("SMS")


class OutboundMessageQuerySet(models.QuerySet):
    def due(self, now=None):
        """Queued messages whose (re)try time has come."""
        return self.filter(status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now or timezone.now())


class OutboundMessage(models.Model):
    """One message to one recipient on one channel. The body is kept so that a retry sends the
    same text; login codes are sent at once and stored masked (see messaging.actions)."""

    class Kind(models.TextChoices):
        LOGIN_CODE = "login_code", _("Code de connexion")
        INVITATION = "invitation", _("Invitation à l'espace personnel")
        NEW_MESSAGE = "new_message", _("Nouveau message")
        APPOINTMENT_REMINDER = "appointment_reminder", _("Rappel de rendez-vous")
        MISSED_APPOINTMENT = "missed_appointment", _("Rendez-vous manqué")
        LAPSE_NUDGE = "lapse_nudge", _("Relance après une période sans contact")
        REFERENT_DIGEST = "referent_digest", _("Récapitulatif du conseiller·ère")
        ESCALATION = "escalation", _("Alerte au responsable")
        CONSENT_CHANGED = "consent_changed", _("Consentement modifié par la personne")
        APPOINTMENT_CHANGED = "appointment_changed", _("Rendez-vous annulé ou à déplacer")
        # About the person, sent to their employer (with their consent): parcours.outcomes.
        EMPLOYER_CHECKIN = "employer_checkin", _("Point de suivi envoyé à l'employeur (avec accord)")
        OTHER = "other", _("Autre")

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente d'envoi")
        SENT = "sent", _("Envoyé")
        DELIVERED = "delivered", _("Remis")
        FAILED = "failed", _("Échec")
        # Not sent on purpose: the person refused the channel, or has no usable address.
        SUPPRESSED = "suppressed", _("Non envoyé (refus ou aucune adresse)")

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="outbound_messages"
    )
    # Staff recipients (referent digest, escalation to the manager).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("type"), max_length=24, choices=Kind.choices)
    channel = models.CharField(_("canal"), max_length=8, choices=DeliveryChannel.choices, blank=True)
    to = models.CharField(_("destinataire"), max_length=254, blank=True)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("texte"))
    # Urgent messages (login codes, a reply the person is waiting for) ignore quiet hours.
    urgent = models.BooleanField(default=False)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A code, never the provider's free text (it may quote the number or the content).
    last_error = models.CharField(_("dernière erreur"), max_length=100, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    # Set by jobs that must not send the same thing twice (a reminder per appointment and day).
    dedupe_key = models.CharField(max_length=150, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message envoyé")
        verbose_name_plural = _("messages envoyés")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
            models.Index(fields=["person", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(user__isnull=False), name="outbound_has_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.get_channel_display()} ({self.get_status_display()})"


class OptOut(models.Model):
    """The person asked not to receive anything on this channel (login codes excepted: they
    are asked for by the person)."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="opt_outs")
    channel = models.CharField(_("canal"), max_length=8, choices=DeliveryChannel.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("refus d'un canal")
        verbose_name_plural = _("refus de canaux")
        constraints = [models.UniqueConstraint(fields=["person", "channel"], name="opt_out_unique")]

    def __str__(self) -> str:
        return self.get_channel_display()
