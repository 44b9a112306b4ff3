"""Catalogue of services (national data·inclusion taxonomy), referrals between operators,
collective workshops, partnership conventions, and the notifications they send."""

import datetime
import math
import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.accounts.models import Role
from parcours.cases import access
from parcours.cases.models import InvalidTransition
from parcours.catalogue import taxonomy as tx
from parcours.people.models import Consent, Status

# Referrals not answered within this delay expire; reminders go out this many days before.
REFERRAL_EXPIRY_DAYS = getattr(settings, "PARCOURS_REFERRAL_EXPIRY_DAYS", 15)
REFERRAL_REMINDER_DAYS = getattr(settings, "PARCOURS_REFERRAL_REMINDER_DAYS", 3)
# At most one freshness reminder per service per period.
STALE_REMINDER_PERIOD_DAYS = getattr(settings, "PARCOURS_STALE_REMINDER_PERIOD_DAYS", 30)
DEFAULT_UPDATE_FREQUENCY_DAYS = 180


class InvalidReferralTransition(InvalidTransition):
    """A referral status change that the state machine does not allow (a kind of InvalidTransition:
    the API answers 409 for both)."""


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (mean Earth radius 6371 km)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


# --- Services ----------------------------------------------------------------------------------


class ServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def stale(self, today: datetime.date | None = None):
        return self.active().filter(review_due_on__lt=today or timezone.localdate())

    def managed_by(self, user):
        """Services the user may edit: those of their case organisations."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation_id__in=user.case_organisation_ids())

    def with_thematique(self, code: str):
        if "--" in code:
            return self.filter(tx.has_code("thematiques", code))
        return self.filter(tx.has_code_prefix("thematiques", code))

    def for_public(self, code: str):
        """Services open to `code`: listing it, or open to all publics (`tous-publics` or none)."""
        return self.filter(
            tx.has_code("publics", code) | tx.has_code("publics", tx.TOUS_PUBLICS) | Q(publics=[])
        )

    def for_status(self, status: str):
        return self.filter(tx.has_code("statuses", status) | Q(statuses=[]))

    def for_age(self, age: int):
        return self.filter(
            Q(min_age__isnull=True) | Q(min_age__lte=age), Q(max_age__isnull=True) | Q(max_age__gte=age)
        )

    def for_benefits(self, benefits: list[str]):
        q = Q(reserved_for=[])
        for benefit in benefits:
            q |= tx.has_code("reserved_for", benefit)
        return self.filter(q)

    def for_commune(self, commune):
        """Services whose eligibility zone holds the commune, its département or its région
        (a service without zone is open wherever the person lives)."""
        ancestors = [commune.pk]
        if commune.parent_id:
            ancestors.append(commune.parent_id)
            if commune.parent and commune.parent.parent_id:
                ancestors.append(commune.parent.parent_id)
        zone = Service.territories.through.objects.filter(service_id=OuterRef("pk"))
        return self.filter(~Exists(zone) | Exists(zone.filter(territory_id__in=ancestors)))

    def for_modality(self, modality: str):
        if modality == tx.Modality.AT_HOME:
            return self.filter(at_home=True)
        code = tx.REMOTE if modality == tx.Modality.REMOTE else tx.IN_PERSON
        return self.filter(tx.has_code("modes_accueil", code))

    def addressing(self, barriers: list[str]):
        q = Q()
        for barrier in barriers:
            q |= tx.has_code("barriers", barrier)
        return self.filter(q) if barriers else self


class Service(models.Model):
    """An entry of the catalogue ("offre de services"), in the national data·inclusion schema plus
    the eligibility rules Parcours needs to search by need."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Identity in the national exchange: (source, external_id) is unique; re-importing updates.
    source = models.CharField(_("source"), max_length=100, default="parcours")
    external_id = models.CharField(_("identifiant data·inclusion"), max_length=200)
    structure_external_id = models.CharField(_("identifiant de la structure"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name=_("porteur"),
    )
    site = models.ForeignKey(
        "organisations.Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("site"),
    )
    name = models.CharField(_("nom"), max_length=150, validators=[MinLengthValidator(3)])
    description = models.TextField(_("description"), validators=[MinLengthValidator(5)])
    type = models.CharField(_("type de service"), max_length=20, choices=tx.TYPE_CHOICES, blank=True)
    thematiques = models.JSONField(
        _("thématiques"), default=list, blank=True, validators=[tx.CodeListValidator(tx.THEMATIQUE)]
    )
    publics = models.JSONField(
        _("publics"),
        default=list,
        blank=True,
        validators=[tx.CodeListValidator(tx.PUBLIC), tx.validate_public_codes],
    )
    publics_details = models.TextField(_("précisions sur les publics"), blank=True)
    access_conditions = models.TextField(_("conditions d'accès"), blank=True)
    # Eligibility (Parcours): empty lists mean "no restriction".
    statuses = models.JSONField(_("situations admises"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("âge minimum"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("âge maximum"), null=True, blank=True)
    reserved_for = models.JSONField(_("réservé aux"), default=list, blank=True)
    barriers = models.JSONField(_("freins traités"), default=list, blank=True)
    territories = models.ManyToManyField(
        "organisations.Territory",
        blank=True,
        related_name="eligible_services",
        verbose_name=_("zone d'éligibilité"),
    )
    # The national zone codes as exchanged (communes, départements, EPCI, pays, "france"); the
    # known communes and départements are also linked in `territories` for searching.
    eligibility_zone = models.JSONField(_("codes de la zone d'éligibilité"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("capacité (places par mois)"), null=True, blank=True)
    modes_accueil = models.JSONField(
        _("modes d'accueil"), default=list, blank=True, validators=[tx.CodeListValidator(tx.MODE_ACCUEIL)]
    )
    at_home = models.BooleanField(_("possible à domicile"), default=False)
    schedule = models.CharField(_("horaires (format OpenStreetMap)"), max_length=300, blank=True)
    weekly_hours = models.FloatField(_("volume horaire hebdomadaire"), null=True, blank=True)
    weeks = models.PositiveSmallIntegerField(_("nombre de semaines"), null=True, blank=True)
    frais = models.CharField(_("frais"), max_length=10, choices=tx.FRAIS_CHOICES, blank=True)
    frais_details = models.TextField(_("précisions sur les frais"), blank=True)
    # Where the service is delivered, as exchanged nationally (copied from the site when created here).
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    address_complement = models.CharField(_("complément d'adresse"), max_length=300, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    commune_name = models.CharField(_("commune"), max_length=200, blank=True)
    insee_code = models.CharField(_("code INSEE"), max_length=5, blank=True)
    commune = models.ForeignKey(
        "organisations.Territory",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services_here",
        verbose_name=_("commune du lieu"),
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    source_url = models.URLField(_("lien source"), max_length=500, blank=True)
    mobilisation_url = models.URLField(_("lien de mobilisation"), max_length=500, blank=True)
    modes_mobilisation = models.JSONField(
        _("modes de mobilisation"),
        default=list,
        blank=True,
        validators=[tx.CodeListValidator(tx.MODE_MOBILISATION)],
    )
    mobilisable_par = models.JSONField(
        _("mobilisable par"),
        default=list,
        blank=True,
        validators=[tx.CodeListValidator(tx.PERSONNE_MOBILISATRICE)],
    )
    mobilisation_details = models.TextField(_("précisions sur la mobilisation"), blank=True)
    # Freshness: a service not confirmed within its update frequency is stale.
    updated_on = models.DateField(_("dernière mise à jour"), default=timezone.localdate)
    update_frequency_days = models.PositiveSmallIntegerField(
        _("mise à jour attendue tous les (jours)"), default=DEFAULT_UPDATE_FREQUENCY_DAYS
    )
    review_due_on = models.DateField(_("à revoir avant le"), editable=False)
    is_active = models.BooleanField(_("actif"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="service_unique_source_id"),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(min_age__lte=models.F("max_age")),
                name="service_age_range",
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "review_due_on"], name="service_freshness"),
            models.Index(fields=["organisation", "is_active"], name="service_org"),
            models.Index(fields=["latitude", "longitude"], name="service_position"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.review_due_on = self.updated_on + datetime.timedelta(days=self.update_frequency_days)
        if not self.external_id:
            self.external_id = f"{self.source}--{self.public_id}"
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "review_due_on"}
        super().save(*args, **kwargs)

    def is_stale(self, today: datetime.date | None = None) -> bool:
        return self.review_due_on < (today or timezone.localdate())

    def position(self) -> tuple[float, float] | None:
        if self.latitude is not None and self.longitude is not None:
            return self.latitude, self.longitude
        if self.site_id and self.site.latitude is not None and self.site.longitude is not None:
            return self.site.latitude, self.site.longitude
        if self.commune_id and self.commune.latitude is not None and self.commune.longitude is not None:
            return self.commune.latitude, self.commune.longitude
        return None

    def modalities(self) -> list[str]:
        found = []
        if tx.IN_PERSON in self.modes_accueil:
            found.append(tx.Modality.IN_PERSON)
        if tx.REMOTE in self.modes_accueil:
            found.append(tx.Modality.REMOTE)
        if self.at_home:
            found.append(tx.Modality.AT_HOME)
        return found

    def get_thematiques_display(self) -> list[str]:
        return [tx.THEMATIQUE_LABELS.get(c, c) for c in self.thematiques]

    def get_publics_display(self) -> list[str]:
        return [tx.PUBLIC_LABELS.get(c, c) for c in self.publics]

    def get_barriers_display(self) -> list[str]:
        labels = dict(tx.ServiceBarrierKind.choices)
        return [str(labels.get(c, c)) for c in self.barriers]

    def get_statuses_display(self) -> list[str]:
        labels = dict(Status.choices)
        return [str(labels.get(c, c)) for c in self.statuses]

    def get_modalities_display(self) -> list[str]:
        labels = dict(tx.Modality.choices)
        return [str(labels[m]) for m in self.modalities()]

    def get_reserved_for_display(self) -> list[str]:
        labels = dict(tx.Benefit.choices)
        return [str(labels.get(c, c)) for c in self.reserved_for]


class ProviderStructure(models.Model):
    """A structure of the national exchange (data·inclusion) and the organisation it is in Parcours.
    Holds the structure fields Parcours has no column for, so that an export gives back what was
    imported."""

    source = models.CharField(max_length=100)
    external_id = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="provider_structures"
    )
    data = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("structure data·inclusion")
        verbose_name_plural = _("structures data·inclusion")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="structure_unique_source_id")
        ]

    def __str__(self) -> str:
        return self.external_id


# --- Notifications -----------------------------------------------------------------------------


class Notification(models.Model):
    """Something a user should know. `dedupe_key` makes a second identical notification impossible
    (a reminder per period, one notice per referral status): no flood."""

    class Kind(models.TextChoices):
        REFERRAL_RECEIVED = "referral_received", _("Nouvelle orientation reçue")
        REFERRAL_UPDATED = "referral_updated", _("Orientation mise à jour")
        REFERRAL_EXPIRING = "referral_expiring", _("Orientation bientôt expirée")
        SERVICE_STALE = "service_stale", _("Fiche service à mettre à jour")
        WORKSHOP_PROMOTED = "workshop_promoted", _("Place libérée en atelier")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    dedupe_key = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "content_type", "object_id", "dedupe_key"],
                name="notification_no_duplicate",
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"


# --- Referrals ---------------------------------------------------------------------------------


class ReferralStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposée")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")
    EXPIRED = "expired", _("Expirée sans réponse")
    STARTED = "started", _("Commencée")
    COMPLETED = "completed", _("Terminée")
    ABANDONED = "abandoned", _("Abandonnée")


REFERRAL_TRANSITIONS: dict[str, set[str]] = {
    ReferralStatus.PROPOSED: {ReferralStatus.ACCEPTED, ReferralStatus.REFUSED, ReferralStatus.EXPIRED},
    ReferralStatus.ACCEPTED: {ReferralStatus.STARTED, ReferralStatus.ABANDONED},
    ReferralStatus.STARTED: {ReferralStatus.COMPLETED, ReferralStatus.ABANDONED},
    ReferralStatus.REFUSED: set(),
    ReferralStatus.EXPIRED: set(),
    ReferralStatus.COMPLETED: set(),
    ReferralStatus.ABANDONED: set(),
}
OPEN_REFERRAL_STATUSES = (ReferralStatus.PROPOSED, ReferralStatus.ACCEPTED, ReferralStatus.STARTED)


class RefusalReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("La personne ne remplit pas les conditions")
    NO_CAPACITY = "no_capacity", _("Plus de place disponible")
    NOT_APPROPRIATE = "not_appropriate", _("Le service ne répond pas au besoin")
    PERSON_UNREACHABLE = "person_unreachable", _("Personne injoignable")
    PERSON_DECLINED = "person_declined", _("La personne a décliné")
    ALREADY_FOLLOWED = "already_followed", _("Déjà accompagnée par ailleurs")
    OTHER = "other", _("Autre motif")


class ReferralOutcome(models.TextChoices):
    OBJECTIVES_MET = "objectives_met", _("Objectifs atteints")
    PARTLY_MET = "partly_met", _("Objectifs partiellement atteints")
    EMPLOYMENT = "employment", _("Accès à l'emploi")
    TRAINING = "training", _("Entrée en formation")
    DROPPED_OUT = "dropped_out", _("Abandon de la personne")
    NO_SHOW = "no_show", _("Ne s'est jamais présentée")
    REORIENTED = "reoriented", _("Réorientée vers un autre service")
    OTHER = "other", _("Autre")


class SharedField(models.TextChoices):
    """What of the person the receiving organisation may see, as consented."""

    IDENTITY = "identity", _("Identité (nom, prénom)")
    BIRTH_DATE = "birth_date", _("Date de naissance")
    CONTACT = "contact", _("Coordonnées (courriel, téléphone)")
    ADDRESS = "address", _("Adresse et commune")
    STATUS = "status", _("Situation (emploi, RSA)")
    BARRIERS = "barriers", _("Freins concernés par l'orientation")


class ReferralQuerySet(models.QuerySet):
    def sent_by(self, user):
        return self.filter(episode__in=access.episodes(user))

    def received_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(receiving_organisation_id__in=user.case_organisation_ids())

    def visible_to(self, user):
        """Both sides: the episode's team (and its follow-up members) and the receiving organisation."""
        if not user.is_authenticated:
            return self.none()
        sent = Q(episode__in=access.episodes(user))
        received = Q(receiving_organisation_id__in=user.case_organisation_ids())
        return self.filter(sent | received)

    def open(self):
        return self.filter(status__in=OPEN_REFERRAL_STATUSES)

    def overdue(self, today: datetime.date | None = None):
        return self.filter(status=ReferralStatus.PROPOSED, expires_on__lt=today or timezone.localdate())

    def expiring_soon(self, today: datetime.date | None = None):
        today = today or timezone.localdate()
        return self.filter(
            status=ReferralStatus.PROPOSED,
            expires_on__gte=today,
            expires_on__lte=today + datetime.timedelta(days=REFERRAL_REMINDER_DAYS),
        )


class Referral(models.Model):
    """A person sent from a support episode to a service of any operator ("prescription"). The
    episode's referent stays the single point of contact."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(
        "cases.SupportEpisode",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("accompagnement"),
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("service")
    )
    receiving_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="received_referrals"
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("statut"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PROPOSED
    )
    consent = models.ForeignKey(
        "people.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    shared_fields = models.JSONField(_("informations partagées"), default=list)
    barriers = models.JSONField(_("freins concernés"), default=list, blank=True)
    message = models.TextField(_("message au service"), blank=True)
    refusal_reason = models.CharField(
        _("motif du refus"), max_length=20, choices=RefusalReason.choices, blank=True
    )
    outcome = models.CharField(_("résultat"), max_length=20, choices=ReferralOutcome.choices, blank=True)
    outcome_note = models.TextField(_("précisions"), blank=True)
    proposed_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField(_("sans réponse, expire le"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("orientation")
        verbose_name_plural = _("orientations")
        indexes = [
            models.Index(fields=["receiving_organisation", "status", "proposed_at"], name="referral_inbox"),
            models.Index(fields=["status", "expires_on"], name="referral_expiry"),
            models.Index(fields=["person", "status"], name="referral_person"),
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.get_status_display()})"

    def allowed_transitions(self) -> list[str]:
        return [s for s in ReferralStatus.values if s in REFERRAL_TRANSITIONS[self.status]]

    def transition_to(self, status: str) -> None:
        if status not in REFERRAL_TRANSITIONS[self.status]:
            raise InvalidReferralTransition(f"{self.status} -> {status} is not allowed")
        self.status = status

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES

    def has_active_consent(self) -> bool:
        """The person's referral consent for the receiving organisation is still in force (a
        withdrawal hides everything from the receiver, even on referrals made before)."""
        return (
            Consent.objects.active()
            .filter(
                person_id=self.person_id,
                organisation_id=self.receiving_organisation_id,
                scope=Consent.Scope.REFERRAL,
            )
            .exists()
        )

    def shared_person_data(self) -> list[tuple[str, str, object]]:
        """What the receiving organisation may see of the person: the consented fields only, and
        nothing at all without an active consent. (code, label, value) triples."""
        if not self.has_active_consent():
            return []
        person = self.person
        values = {
            SharedField.IDENTITY: person.full_name,
            SharedField.BIRTH_DATE: person.birth_date,
            SharedField.CONTACT: " — ".join(v for v in (person.email, person.phone) if v),
            SharedField.ADDRESS: ", ".join(v for v in (person.address, str(person.commune or "")) if v),
            SharedField.STATUS: person.get_status_display()
            + (" — " + str(_("bénéficiaire du RSA")) if person.minimum_income else ""),
            SharedField.BARRIERS: ", ".join(self.get_barriers_display()),
        }
        labels = dict(SharedField.choices)
        return [
            (code, str(labels[code]), values[code])
            for code in SharedField.values
            if code in self.shared_fields
        ]

    def get_shared_fields_display(self) -> list[str]:
        labels = dict(SharedField.choices)
        return [str(labels.get(c, c)) for c in self.shared_fields]

    def get_barriers_display(self) -> list[str]:
        labels = dict(tx.ServiceBarrierKind.choices)
        return [str(labels.get(c, c)) for c in self.barriers]


class ReferralTransition(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ReferralStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    # Null for the system (expiry by the periodic command).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("changement de statut d'orientation")
        verbose_name_plural = _("historique des orientations")

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


# --- Collective workshops ----------------------------------------------------------------------


class WorkshopSession(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("service")
    )
    title = models.CharField(_("intitulé"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("début"))
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=120)
    capacity = models.PositiveSmallIntegerField(_("places"))
    site = models.ForeignKey(
        "organisations.Site", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("lieu")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("séance d'atelier")
        verbose_name_plural = _("séances d'atelier")
        indexes = [models.Index(fields=["service", "starts_at"], name="workshop_service")]

    def __str__(self) -> str:
        return f"{self.title or self.service.name} — {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"


class WorkshopRegistration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Inscrit·e")
        WAITING_LIST = "waiting_list", _("Liste d'attente")
        ATTENDED = "attended", _("Présent·e")
        ABSENT = "absent", _("Absent·e")
        CANCELLED = "cancelled", _("Annulée")

    # Statuses that hold a place.
    HOLDS_PLACE = (Status.REGISTERED, Status.ATTENDED, Status.ABSENT)

    session = models.ForeignKey(WorkshopSession, on_delete=models.CASCADE, related_name="registrations")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="workshop_registrations"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices)
    registered_at = models.DateTimeField(default=timezone.now)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["registered_at", "pk"]
        verbose_name = _("inscription à un atelier")
        verbose_name_plural = _("inscriptions aux ateliers")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=~Q(status="cancelled"),
                name="workshop_one_registration_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} — {self.get_status_display()}"


# --- Partnership conventions -------------------------------------------------------------------


class ConventionQuerySet(models.QuerySet):
    def current(self):
        """Latest version of each convention."""
        return self.filter(replaced_by__isnull=True)

    def in_force(self, today: datetime.date | None = None):
        today = today or timezone.localdate()
        return self.current().filter(Q(start_on__lte=today), Q(end_on__isnull=True) | Q(end_on__gte=today))

    def visible_to(self, user):
        """Coordinators see all conventions; other staff those their organisations signed."""
        if not user.is_authenticated:
            return self.none()
        if user.has_role(Role.COORDINATOR) or user.is_superuser:
            return self
        return self.filter(organisations__in=user.organisation_ids()).distinct()


class PartnershipConvention(models.Model):
    """Who serves which public, where, and how referrals flow between them (R6). A new version is a
    new row pointing to the one it replaces: the signed history is kept."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("intitulé"), max_length=200)
    organisations = models.ManyToManyField(
        "organisations.Organisation", related_name="conventions", verbose_name=_("signataires")
    )
    publics = models.JSONField(
        _("publics"), default=list, validators=[tx.CodeListValidator(tx.PUBLIC), tx.validate_public_codes]
    )
    territories = models.ManyToManyField(
        "organisations.Territory", related_name="conventions", verbose_name=_("territoires")
    )
    services = models.ManyToManyField(
        Service, blank=True, related_name="conventions", verbose_name=_("services")
    )
    referral_rules = models.TextField(_("règles d'orientation"), blank=True)
    referral_rules_data = models.JSONField(_("règles d'orientation (données)"), default=dict, blank=True)
    start_on = models.DateField(_("début"))
    end_on = models.DateField(_("fin"), null=True, blank=True)
    document = models.FileField(_("convention signée"), upload_to="conventions/%Y/", blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by", editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConventionQuerySet.as_manager()

    class Meta:
        ordering = ["title", "-version"]
        verbose_name = _("convention de partenariat")
        verbose_name_plural = _("conventions de partenariat")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="convention_dates",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def get_publics_display(self) -> list[str]:
        return [tx.PUBLIC_LABELS.get(c, c) for c in self.publics]
