"""Retention per organisation and the person's requests to erase or rectify their data."""

import calendar
import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RetentionPolicy(models.Model):
    """An organisation's own retention delays, when they differ from the settings' defaults
    (``PARCOURS_RETENTION``). A person followed by several organisations is kept as long as the
    longest of their delays."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="retention_policy"
    )
    archive_after_days = models.PositiveIntegerField(
        _("archivage après (jours sans activité, dossier clos)"),
        help_text=_("730 jours (2 ans) par défaut"),
    )
    anonymise_after_days = models.PositiveIntegerField(
        _("anonymisation après (jours d'archivage)"), help_text=_("730 jours (2 ans) par défaut")
    )

    class Meta:
        verbose_name = _("durée de conservation")
        verbose_name_plural = _("durées de conservation")

    def __str__(self) -> str:
        return f"{self.archive_after_days} / {self.anonymise_after_days}"


def one_month_after(day: datetime.date) -> datetime.date:
    """The same day of the next month, or that month's last day (31 January -> 28/29 February):
    the one-month deadline of GDPR art. 12(3)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class RightsRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=RightsRequest.Status.OPEN)

    def overdue(self, today: datetime.date | None = None):
        return self.open().filter(due_on__lt=today or timezone.localdate())


class RightsRequest(models.Model):
    """A person's request to erase (GDPR art. 17) or rectify (art. 16) their data, received by an
    organisation, to be answered within one month (art. 12(3))."""

    class Kind(models.TextChoices):
        ERASURE = "erasure", _("Effacement")
        RECTIFICATION = "rectification", _("Rectification")

    class Status(models.TextChoices):
        OPEN = "open", _("À traiter")
        FULFILLED = "fulfilled", _("Satisfaite")
        REFUSED = "refused", _("Refusée")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("personne")
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation saisie"),
    )
    kind = models.CharField(_("demande"), max_length=16, choices=Kind.choices)
    details = models.TextField(_("précisions"), blank=True)
    received_on = models.DateField(_("reçue le"))
    due_on = models.DateField(_("réponse due le"), editable=False)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.OPEN)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_note = models.TextField(_("réponse motivée"), blank=True)

    objects = RightsRequestQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("demande d'exercice de droits")
        verbose_name_plural = _("demandes d'exercice de droits")
        indexes = [models.Index(fields=["organisation", "status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.received_on})"

    def save(self, *args, **kwargs):
        if self.received_on and not self.due_on:
            self.due_on = one_month_after(self.received_on)
        super().save(*args, **kwargs)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.status == self.Status.OPEN and self.due_on < (today or timezone.localdate())
