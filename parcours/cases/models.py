"""Support episodes ("accompagnements"), their stages, follow-up members, contacts, appointments,
and the audit trail (every change in CaseEvent, every read of a file in AccessLog)."""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.cases.append_only import AppendOnlyModel, AppendOnlyQuerySet, append_only_trigger
from parcours.ops.encryption import EncryptedTextField
from parcours.people.models import Channel


class InvalidTransition(Exception):
    """A stage change that the state machine does not allow."""


class Stage(models.TextChoices):
    WELCOME = "welcome", _("Accueil")
    ASSESSMENT = "assessment", _("Diagnostic")
    CAREER_PROJECT = "career_project", _("Projet professionnel")
    JOB_SEARCH = "job_search", _("Recherche d'emploi")
    EMPLOYED = "employed", _("En emploi")
    RETENTION = "retention", _("Maintien dans l'emploi")
    CLOSED = "closed", _("Clos")


# The stage referential of an episode (R1). Going back is allowed where the work requires it
# (a project revised during job search, a job lost during retention).
TRANSITIONS: dict[str, set[str]] = {
    Stage.WELCOME: {Stage.ASSESSMENT, Stage.CLOSED},
    Stage.ASSESSMENT: {Stage.CAREER_PROJECT, Stage.JOB_SEARCH, Stage.CLOSED},
    Stage.CAREER_PROJECT: {Stage.ASSESSMENT, Stage.JOB_SEARCH, Stage.CLOSED},
    Stage.JOB_SEARCH: {Stage.CAREER_PROJECT, Stage.EMPLOYED, Stage.CLOSED},
    Stage.EMPLOYED: {Stage.RETENTION, Stage.JOB_SEARCH, Stage.CLOSED},
    Stage.RETENTION: {Stage.JOB_SEARCH, Stage.CLOSED},
    Stage.CLOSED: set(),
}


class Intensity(models.TextChoices):
    FOLLOW = "follow", _("Suivi")
    GUIDED = "guided", _("Guidé")
    INTENSIVE = "intensive", _("Renforcé")
    GLOBAL = "global", _("Global")
    # 100 % online support for autonomous people: only remote contacts meet its target (messages,
    # video, self-booked appointments; parcours.cases.intensity).
    ONLINE = "online", _("Autonome en ligne")


class Approach(models.TextChoices):
    SEQUENTIAL = "sequential", _("Séquentielle")
    GLOBAL = "global", _("Globale")
    ITERATIVE = "iterative", _("Itérative (médiation active)")


class EndReason(models.TextChoices):
    EMPLOYED_DURABLE = "employed_durable", _("Emploi durable (CDI ou contrat de 6 mois et plus)")
    EMPLOYED_SHORT = "employed_short", _("Emploi de moins de 6 mois")
    SELF_EMPLOYED = "self_employed", _("Création d'activité")
    TRAINING = "training", _("Entrée en formation")
    TRANSFERRED = "transferred", _("Orienté vers une autre structure")
    MOVED = "moved", _("Déménagement")
    NO_CONTACT = "no_contact", _("Perte de contact")
    PERSON_DECISION = "person_decision", _("Fin à la demande de la personne")
    RETIREMENT = "retirement", _("Retraite / inactivité")
    SANCTION = "sanction", _("Radiation")
    OTHER = "other", _("Autre")


class Section(models.TextChoices):
    """Sections of a case file. All but GENERAL are sensitive: referent and granted members only."""

    GENERAL = "general", _("Général")
    HEALTH = "health", _("Santé")
    JUSTICE = "justice", _("Justice")
    SANCTIONS = "sanctions", _("Contrôle et sanctions")


def default_contact_target_days(intensity: str) -> int:
    return settings.PARCOURS_CONTACT_TARGET_DAYS[intensity]


class SupportEpisodeQuerySet(models.QuerySet):
    def open(self):
        return self.filter(ended_on__isnull=True)

    def overdue(self, today: datetime.date | None = None):
        """Open episodes whose last counted contact is older than their intensity target (the due
        date kept by parcours.cases.intensity)."""
        return self.open().filter(next_contact_due__lt=today or timezone.localdate())

    def without_contact_since(self, days: int, today: datetime.date | None = None):
        since = (today or timezone.localdate()) - datetime.timedelta(days=days)
        return self.filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__date__lt=since))


class SupportEpisode(models.Model):
    """A period during which an organisation supports a person, with one referent (R1)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="episodes", verbose_name=_("personne")
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="episodes",
        verbose_name=_("organisation"),
    )
    site = models.ForeignKey(
        "organisations.Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="episodes",
        verbose_name=_("site"),
    )
    # The territory of the episode for statistics: the person's commune when it opened (a move
    # does not rewrite past indicators). Set by open_episode.
    commune = models.ForeignKey(
        "organisations.Territory",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("commune à l'ouverture"),
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referent_episodes",
        verbose_name=_("conseiller·ère référent·e"),
    )
    started_on = models.DateField(_("début"), default=timezone.localdate)
    ended_on = models.DateField(_("fin"), null=True, blank=True)
    end_reason = models.CharField(_("motif de fin"), max_length=20, choices=EndReason.choices, blank=True)
    intensity = models.CharField(
        _("intensité"), max_length=12, choices=Intensity.choices, default=Intensity.GUIDED
    )
    contact_target_days = models.PositiveSmallIntegerField(_("contact au moins tous les (jours)"), default=30)
    approach = models.CharField(
        _("approche"), max_length=12, choices=Approach.choices, default=Approach.SEQUENTIAL
    )
    stage = models.CharField(_("étape"), max_length=16, choices=Stage.choices, default=Stage.WELCOME)
    # Denormalised from contacts so that the portfolio and alerts filter on an index.
    last_contact_at = models.DateTimeField(_("dernier contact"), null=True, blank=True)
    # Also denormalised (record_contact, cases.summary): the indicators read episodes, not the
    # contact log (time to first contact, contact intensity over millions of contacts).
    first_contact_at = models.DateTimeField(_("premier contact"), null=True, blank=True, editable=False)
    contact_count = models.PositiveIntegerField(_("nombre de contacts"), default=0, editable=False)
    next_contact_due = models.DateField(_("prochain contact attendu avant le"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupportEpisodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("accompagnement")
        verbose_name_plural = _("accompagnements")
        indexes = [
            models.Index(fields=["referent", "ended_on", "next_contact_due"], name="episode_portfolio"),
            models.Index(fields=["organisation", "ended_on", "next_contact_due"], name="episode_org_alerts"),
            models.Index(fields=["person", "ended_on"], name="episode_person_open"),
            # The API's episode list: every visible episode, most urgent contact first; the first
            # pages read this order instead of sorting an agency's whole caseload.
            models.Index(fields=["next_contact_due", "id"], name="episode_due_order"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.organisation} ({self.get_stage_display()})"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    def allowed_transitions(self) -> list[str]:
        return [s for s in Stage.values if s in TRANSITIONS[self.stage]]

    def transition_to(self, stage: str) -> None:
        if stage not in TRANSITIONS[self.stage]:
            raise InvalidTransition(f"{self.stage} -> {stage} is not allowed")
        self.stage = stage

    def is_contact_overdue(self, today: datetime.date | None = None) -> bool:
        return (
            self.is_open
            and self.next_contact_due is not None
            and self.next_contact_due < (today or timezone.localdate())
        )

    def days_since_last_contact(self, today: datetime.date | None = None) -> int | None:
        if self.last_contact_at is None:
            return None
        return ((today or timezone.localdate()) - timezone.localdate(self.last_contact_at)).days


class StageTransition(models.Model):
    episode = models.ForeignKey(SupportEpisode, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=16, choices=Stage.choices)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("motif"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("changement d'étape")
        verbose_name_plural = _("changements d'étape")

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage} ({self.at:%Y-%m-%d})"


class ReferentAssignment(models.Model):
    """History of referents: every referent an episode has had, with the reason of each handover."""

    episode = models.ForeignKey(SupportEpisode, on_delete=models.CASCADE, related_name="referent_assignments")
    referent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("motif"), max_length=300, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("référent·e successif·ve")
        verbose_name_plural = _("historique des référent·es")

    def __str__(self) -> str:
        return f"référent·e {self.referent_id} depuis {self.started_at:%Y-%m-%d}"


class FollowUpMemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True, episode__ended_on__isnull=True)


class FollowUpMember(models.Model):
    """Another professional, from any organisation, who follows the person during an episode."""

    class AccessLevel(models.TextChoices):
        STANDARD = "standard", _("Dossier hors sections sensibles")
        SENSITIVE = "sensitive", _("Dossier complet, sections sensibles comprises")

    episode = models.ForeignKey(SupportEpisode, on_delete=models.CASCADE, related_name="follow_up_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_episodes"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="follow_up_members"
    )
    role = models.CharField(_("rôle auprès de la personne"), max_length=100)
    access_level = models.CharField(
        _("accès"), max_length=10, choices=AccessLevel.choices, default=AccessLevel.STANDARD
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = FollowUpMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("membre du suivi")
        verbose_name_plural = _("membres du suivi")
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.role} ({self.organisation_id})"


class Contact(models.Model):
    """Any exchange with the person, on any channel (R8)."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("À l'initiative de la personne")
        OUTBOUND = "outbound", _("À l'initiative du conseiller·ère")

    episode = models.ForeignKey(SupportEpisode, on_delete=models.CASCADE, related_name="contacts")
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices)
    direction = models.CharField(
        _("initiative"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    occurred_at = models.DateTimeField(_("date"), default=timezone.now)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), null=True, blank=True)
    # Encrypted at rest: the health and justice sections' contacts are among these summaries.
    summary = EncryptedTextField(_("compte rendu"), blank=True)
    section = models.CharField(_("rubrique"), max_length=10, choices=Section.choices, default=Section.GENERAL)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["episode", "occurred_at"]),
            # contacts after a date (indicators computed as of a past day)
            models.Index(fields=["occurred_at"], name="contact_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class AppointmentQuerySet(models.QuerySet):
    def upcoming(self):
        return self.filter(status=Appointment.Status.PLANNED, scheduled_at__gte=timezone.now())


class Appointment(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Prévu")
        HELD = "held", _("Honoré")
        MISSED = "missed", _("Non honoré")
        CANCELLED = "cancelled", _("Annulé")

    class CancelledBy(models.TextChoices):
        PERSON = "person", _("La personne")
        STAFF = "staff", _("La structure")

    episode = models.ForeignKey(SupportEpisode, on_delete=models.CASCADE, related_name="appointments")
    scheduled_at = models.DateTimeField(_("date et heure"))
    duration_minutes = models.PositiveSmallIntegerField(_("durée prévue (minutes)"), default=45)
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices, default=Channel.IN_PERSON)
    with_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("avec"),
    )
    site = models.ForeignKey("organisations.Site", on_delete=models.SET_NULL, null=True, blank=True)
    purpose = models.CharField(_("objet"), max_length=200, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    cancelled_by = models.CharField(_("annulé par"), max_length=8, choices=CancelledBy.choices, blank=True)
    contact = models.OneToOneField(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Empty when the person booked the slot themselves (parcours.agenda).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_at", "-pk"]
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        indexes = [
            models.Index(fields=["episode", "scheduled_at"]),
            models.Index(fields=["with_user", "status", "scheduled_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.scheduled_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class CaseEvent(AppendOnlyModel):
    """Every change to a case file: who, when, what. Data holds ids and codes, never free text
    that could carry sensitive content. Append-only (parcours/cases/append_only.py): the person,
    episode and actor are PROTECT, so no cascade rewrites the audit."""

    class Kind(models.TextChoices):
        PERSON_CREATED = "person_created", _("Personne enregistrée")
        PERSON_UPDATED = "person_updated", _("Coordonnées modifiées")
        STATUS_CHANGED = "status_changed", _("Situation modifiée")
        CONSENT_GIVEN = "consent_given", _("Consentement donné")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consentement retiré")
        EPISODE_OPENED = "episode_opened", _("Accompagnement ouvert")
        STAGE_CHANGED = "stage_changed", _("Étape modifiée")
        INTENSITY_CHANGED = "intensity_changed", _("Intensité modifiée")
        REFERENT_CHANGED = "referent_changed", _("Changement de référent·e")
        EPISODE_CLOSED = "episode_closed", _("Accompagnement clos")
        FOLLOWER_ADDED = "follower_added", _("Membre du suivi ajouté")
        FOLLOWER_REMOVED = "follower_removed", _("Membre du suivi retiré")
        CONTACT_RECORDED = "contact_recorded", _("Contact enregistré")
        APPOINTMENT_PLANNED = "appointment_planned", _("Rendez-vous planifié")
        APPOINTMENT_HELD = "appointment_held", _("Rendez-vous honoré")
        APPOINTMENT_MISSED = "appointment_missed", _("Rendez-vous non honoré")
        APPOINTMENT_CANCELLED = "appointment_cancelled", _("Rendez-vous annulé")
        OTHER = "other", _("Autre")

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="events")
    episode = models.ForeignKey(
        SupportEpisode, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    section = models.CharField(max_length=10, choices=Section.choices, default=Section.GENERAL)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("événement du dossier")
        verbose_name_plural = _("événements du dossier")
        indexes = [models.Index(fields=["person", "at"]), models.Index(fields=["episode", "at"])]
        triggers = [append_only_trigger()]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"


class AccessLog(AppendOnlyModel):
    """Every read of a person's file, by whom and through which page or endpoint. Append-only
    (parcours/cases/append_only.py)."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="access_logs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    route = models.CharField(max_length=100)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("consultation du dossier")
        verbose_name_plural = _("journal des consultations")
        indexes = [models.Index(fields=["person", "at"]), models.Index(fields=["user", "at"])]
        triggers = [append_only_trigger()]

    def __str__(self) -> str:
        return f"{self.route} {self.at:%Y-%m-%d %H:%M}"
