"""Counselors' agendas: the hours they open to booking (weekly rules), their absences, the
bookings that hold a slot, the private calendar feed, and the one-time links sent in reminders.

A booking is always an Appointment created by `cases.actions.plan_appointment`; the `Booking`
row beside it holds the slot, and its unique constraint (one active booking per counselor and
start time) is what makes a double booking impossible even when two requests race."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.people.models import Channel

# The ways a slot may be held: at a site or at a distance.
SLOT_CHANNELS = (Channel.IN_PERSON, Channel.VIDEO, Channel.PHONE)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")


class AvailabilityRuleQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date):
        return self.filter(weekday=day.weekday(), valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


class AvailabilityRule(models.Model):
    """Weekly hours a counselor opens to booking: every <weekday> from <start> to <end>, cut into
    slots of <slot_minutes>, at a site (in person) or at a distance (video, phone)."""

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="availability_rules",
        verbose_name=_("conseiller·ère"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start_time = models.TimeField(_("de"))
    end_time = models.TimeField(_("à"))
    slot_minutes = models.PositiveSmallIntegerField(_("durée d'un créneau (minutes)"), default=45)
    channel = models.CharField(
        _("modalité"),
        max_length=20,
        choices=[(c.value, c.label) for c in SLOT_CHANNELS],
        default=Channel.IN_PERSON,
    )
    site = models.ForeignKey(
        "organisations.Site", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("site")
    )
    valid_from = models.DateField(_("à partir du"), default=timezone.localdate)
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AvailabilityRuleQuerySet.as_manager()

    class Meta:
        ordering = ["weekday", "start_time", "pk"]
        verbose_name = _("plage de disponibilité")
        verbose_name_plural = _("plages de disponibilité")
        indexes = [models.Index(fields=["counselor", "weekday"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="rule_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(slot_minutes__gte=10), name="rule_slot_at_least_10_minutes"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("La fin doit être après le début.")})
        if self.channel == Channel.IN_PERSON and not self.site_id:
            raise ValidationError({"site": _("Un rendez-vous sur place a besoin d'un site.")})
        if self.site_id and self.site.organisation_id != self.organisation_id:
            raise ValidationError({"site": _("Ce site n'est pas celui de l'organisation.")})
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("La fin de validité précède son début.")})

    def slots_on(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """(start, end) of each slot of this rule on that day, aware in the local time zone."""
        step = datetime.timedelta(minutes=self.slot_minutes)
        start = timezone.make_aware(datetime.datetime.combine(day, self.start_time))
        end = timezone.make_aware(datetime.datetime.combine(day, self.end_time))
        slots = []
        while start + step <= end:
            slots.append((start, start + step))
            start += step
        return slots


class Absence(models.Model):
    """An exception to the weekly hours: no slot is offered in [starts_at, ends_at)."""

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="absences",
        verbose_name=_("conseiller·ère"),
    )
    starts_at = models.DateTimeField(_("du"))
    ends_at = models.DateTimeField(_("au"))
    reason = models.CharField(_("motif (visible de l'équipe seulement)"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} → {self.ends_at:%Y-%m-%d %H:%M}"


class Booking(models.Model):
    """The slot held by a self-booked appointment. Active while the appointment is planned;
    released (is_active=False) when it is cancelled, which frees the slot again."""

    appointment = models.OneToOneField("cases.Appointment", on_delete=models.CASCADE, related_name="booking")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    rule = models.ForeignKey(AvailabilityRule, on_delete=models.SET_NULL, null=True, related_name="bookings")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Two people racing for the same slot: the second insert fails (SQLite and PostgreSQL).
            models.UniqueConstraint(
                fields=["counselor", "starts_at"],
                condition=Q(is_active=True),
                name="one_active_booking_per_slot",
            )
        ]

    def __str__(self) -> str:
        return f"booking {self.pk}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A counselor's private iCalendar address. Only a hash of the token is kept: the address is
    shown once when made; making a new one or revoking kills the old one."""

    counselor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"feed {self.pk}"

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash(token)


class AppointmentLink(models.Model):
    """A one-time link sent in a reminder: it lets whoever holds it confirm, cancel or rebook that
    one appointment without logging in, once, until the appointment starts."""

    appointment = models.ForeignKey("cases.Appointment", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_for = models.CharField(max_length=10, blank=True)

    def __str__(self) -> str:
        return f"link {self.pk}"

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash(token)

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(24)

    def is_usable(self, now=None) -> bool:
        return self.used_at is None and (now or timezone.now()) < self.expires_at


class BookingSettings(models.Model):
    """An organisation's booking rules; without a row the defaults from settings apply."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="booking_settings"
    )
    booking_notice_hours = models.PositiveSmallIntegerField(
        _("délai minimal avant un créneau réservable (heures)"), default=24
    )
    horizon_days = models.PositiveSmallIntegerField(_("créneaux proposés sur (jours)"), default=28)
    cancel_notice_hours = models.PositiveSmallIntegerField(
        _("annulation en ligne jusqu'à (heures avant)"), default=24
    )
    self_booking = models.BooleanField(_("réservation en ligne par la personne"), default=True)

    class Meta:
        verbose_name = _("règles de réservation")
        verbose_name_plural = _("règles de réservation")

    def __str__(self) -> str:
        return str(self.organisation)

    @classmethod
    def for_organisation(cls, organisation_id: int) -> "BookingSettings":
        found = cls.objects.filter(organisation_id=organisation_id).first()
        if found is not None:
            return found
        return cls(
            organisation_id=organisation_id,
            booking_notice_hours=settings.AGENDA_BOOKING_NOTICE_HOURS,
            horizon_days=settings.AGENDA_BOOKING_HORIZON_DAYS,
            cancel_notice_hours=settings.PORTAL_CANCEL_NOTICE_HOURS,
        )
