"""People supported (any status), their status history and their consents."""

import datetime
import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unidecode import unidecode


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("En présentiel")
    PHONE = "phone", _("Téléphone")
    EMAIL = "email", _("Courriel")
    SMS = "sms", _("SMS")
    INSTANT_MESSAGING = "instant_messaging", _("Messagerie instantanée")
    VIDEO = "video", _("Visioconférence")
    WORKSHOP = "workshop", _("Atelier collectif")


class Status(models.TextChoices):
    JOB_SEEKER = "job_seeker", _("Demandeur·se d'emploi")
    EMPLOYED = "employed", _("Salarié·e")
    SELF_EMPLOYED = "self_employed", _("Indépendant·e")
    STUDENT = "student", _("Étudiant·e / en formation")
    INACTIVE = "inactive", _("Inactif·ve")


class DigitalAutonomy(models.TextChoices):
    UNKNOWN = "unknown", _("Non évaluée")
    AUTONOMOUS = "autonomous", _("Autonome")
    PARTIAL = "partial", _("Autonomie partielle")
    NONE = "none", _("Besoin d'accompagnement numérique")


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")
    OTHER = "X", _("Autre / non précisé")


def name_key(*parts: str) -> str:
    """Normalised form of a name for matching: no accents, lower case, letters and spaces only."""
    text = unidecode(" ".join(p for p in parts if p)).lower()
    return re.sub(r"[^a-z]+", " ", text).strip()


def name_search_score(query: str, first_name: str, last_name: str) -> int:
    """How well a typed search matches a person's name, 0 to 100 (0: no match).

    Every word typed must match a word of the first or last name, in any order, without
    accents or case: as a prefix ("dup" → Dupont), or with a typo for words of 4 letters or more
    (the duplicate detection's rapidfuzz ratio, at least 80: "Dupnot" → Dupont).
    """
    from rapidfuzz import fuzz

    words = name_key(query).split()
    names = name_key(first_name, last_name).split()
    if not words or not names:
        return 0
    scores = []
    for word in words:
        best = 0
        for name in names:
            if name.startswith(word):
                best = 100
                break
            if len(word) >= 4:
                best = max(best, fuzz.ratio(word, name), fuzz.ratio(word, name[: len(word)]))
        if best < 80:
            return 0
        scores.append(best)
    return round(min(scores))


class PersonQuerySet(models.QuerySet):
    def possible_duplicates(
        self, *, first_name: str, last_name: str, birth_date: datetime.date, threshold=85
    ):
        """People born the same day whose name is close (accents, case, typos, swapped first/last)."""
        from rapidfuzz import fuzz

        wanted = name_key(first_name, last_name)
        swapped = name_key(last_name, first_name)
        matches = []
        for person in self.filter(birth_date=birth_date).order_by("pk")[:200]:
            key = name_key(person.first_name, person.last_name)
            score = max(
                fuzz.ratio(wanted, key),
                fuzz.ratio(swapped, key),
                fuzz.token_sort_ratio(wanted, key),
            )
            if score >= threshold:
                matches.append((person, round(score)))
        matches.sort(key=lambda m: -m[1])
        return matches


class Person(models.Model):
    """Someone supported by one or more organisations, whatever their status."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, default=Sex.OTHER)
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    commune = models.ForeignKey(
        "organisations.Territory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("commune de résidence"),
    )
    status = models.CharField(
        _("situation"), max_length=16, choices=Status.choices, default=Status.JOB_SEEKER
    )
    preferred_channels = models.JSONField(_("canaux préférés"), default=list, blank=True)
    digital_autonomy = models.CharField(
        _("autonomie numérique"),
        max_length=12,
        choices=DigitalAutonomy.choices,
        default=DigitalAutonomy.UNKNOWN,
    )
    minimum_income = models.BooleanField(_("bénéficiaire du RSA"), default=False)
    priority_area = models.BooleanField(_("habite un quartier prioritaire (QPV)"), default=False)
    # Health data: shown only to those allowed to see sensitive sections.
    disability_recognition = models.BooleanField(_("RQTH"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Retention (parcours/privacy): a file closed long enough leaves the active base (archived: no
    # longer found by duplicate search or reopening), then its identity and free text are removed
    # (anonymised); dates, stages and outcomes stay for the indicators and experiments.
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("personne accompagnée")
        verbose_name_plural = _("personnes accompagnées")
        indexes = [models.Index(fields=["birth_date"]), models.Index(fields=["last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"

    def age(self, today: datetime.date | None = None) -> int:
        today = today or timezone.localdate()
        years = today.year - self.birth_date.year
        return years - ((today.month, today.day) < (self.birth_date.month, self.birth_date.day))

    def get_preferred_channels_display(self) -> list[str]:
        labels = dict(Channel.choices)
        return [str(labels.get(c, c)) for c in self.preferred_channels]


class StatusPeriod(models.Model):
    """Status history: status is an attribute of a person over time, not a silo."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="status_periods")
    status = models.CharField(_("situation"), max_length=16, choices=Status.choices)
    started_on = models.DateField(_("depuis le"))
    ended_on = models.DateField(_("jusqu'au"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["-started_on", "-pk"]
        verbose_name = _("période de situation")
        verbose_name_plural = _("historique des situations")

    def __str__(self) -> str:
        return f"{self.get_status_display()} depuis {self.started_on}"


class ConsentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(withdrawn_at__isnull=True)


class Consent(models.Model):
    """The person's consent for an organisation to access their file for a scope."""

    class Scope(models.TextChoices):
        CASE_FILE = "case_file", _("Partage du dossier d'accompagnement")
        SENSITIVE = "sensitive", _("Partage des informations sensibles (santé, justice)")
        REFERRAL = "referral", _("Transmission pour une orientation vers un service")
        CONTACT = "contact", _("Être recontacté·e par l'organisation")
        EMPLOYER_CONTACT = "employer_contact", _("Contact de l'employeur pour le suivi après l'embauche")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="consents"
    )
    scope = models.CharField(_("portée"), max_length=16, choices=Scope.choices)
    given_at = models.DateTimeField(_("donné le"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(_("précision"), max_length=300, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consentement")
        verbose_name_plural = _("consentements")
        indexes = [models.Index(fields=["person", "organisation", "scope"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation", "scope"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_scope",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} — {self.organisation}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
