"""Employment outcomes (the job found, or held at intake) and the check-ins after the hire (R4, R9).

The rules and their sources are in docs/after_hire.md.
"""

import datetime
import uuid

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as siret_number

from parcours.cases import access
from parcours.cases.models import SupportEpisode
from parcours.diagnosis.models import SENSITIVE_BARRIERS, BarrierKind

# Months after the start of a job at which the person is asked how it goes (issue 13), unless
# the organisation chose others (CheckInPolicy).
DEFAULT_HORIZONS = (1, 3, 6, 12)
# A contract of at least this many months counts as durable (docs/after_hire.md).
DURABLE_MONTHS = 6


class ContractType(models.TextChoices):
    CDI = "cdi", _("CDI")
    CDD = "cdd", _("CDD")
    TEMPORARY = "temporary", _("Intérim")
    APPRENTICESHIP = "apprenticeship", _("Apprentissage / alternance")
    SUBSIDISED = "subsidised", _("Contrat aidé")
    BUSINESS_CREATION = "business", _("Création d'entreprise")


# Contracts with a planned length: their length in months is required.
FIXED_TERM = {ContractType.CDD, ContractType.TEMPORARY, ContractType.APPRENTICESHIP, ContractType.SUBSIDISED}


class WageBand(models.TextChoices):
    UNKNOWN = "unknown", _("Non renseigné")
    BELOW_SMIC = "below_smic", _("Moins d'un SMIC mensuel (temps partiel)")
    SMIC = "smic", _("Autour du SMIC")
    SMIC_TO_1_5 = "smic_1_5", _("De 1 à 1,5 SMIC")
    ABOVE_1_5 = "above_1_5", _("Plus de 1,5 SMIC")


class Source(models.TextChoices):
    PERSON = "person", _("La personne")
    COUNSELOR = "counselor", _("Le ou la conseiller·ère")
    EMPLOYER = "employer", _("L'employeur")
    ADMINISTRATIVE = "administrative", _("Fichier administratif")


def validate_siret(value: str) -> None:
    """14 digits whose check digit is right (Luhn, with La Poste's exception: python-stdnum)."""
    if not value:
        return
    try:
        siret_number.validate(value)
    except StdnumError as exc:
        raise ValidationError(_("SIRET invalide : %(reason)s") % {"reason": exc.message}) from exc


def is_durable_contract(contract_type: str, contract_months: int | None) -> bool:
    """CDI, business creation, or a fixed-term contract of at least DURABLE_MONTHS months."""
    if contract_type in (ContractType.CDI, ContractType.BUSINESS_CREATION):
        return True
    return (contract_months or 0) >= DURABLE_MONTHS


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the last day of that month (31 January + 1 = end of February)."""
    return day + relativedelta(months=months)


class EmploymentOutcomeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(episode__in=access.episodes(user))


class EmploymentOutcome(models.Model):
    """A job of the person: found during the episode (HIRE) or held when it opened (CURRENT_JOB)."""

    class Kind(models.TextChoices):
        HIRE = "hire", _("Emploi trouvé")
        CURRENT_JOB = "current_job", _("Emploi occupé à l'entrée")

    episode = models.ForeignKey(SupportEpisode, on_delete=models.PROTECT, related_name="employment_outcomes")
    kind = models.CharField(_("nature"), max_length=12, choices=Kind.choices, default=Kind.HIRE)
    contract_type = models.CharField(_("type de contrat"), max_length=16, choices=ContractType.choices)
    contract_months = models.PositiveSmallIntegerField(
        _("durée prévue du contrat (mois)"), null=True, blank=True
    )
    weekly_hours = models.DecimalField(_("heures par semaine"), max_digits=4, decimal_places=1)
    start_on = models.DateField(_("début"))
    end_on = models.DateField(_("fin"), null=True, blank=True)
    job_title = models.CharField(_("intitulé du poste"), max_length=200)
    rome_code = models.CharField(_("code ROME"), max_length=5, blank=True)
    occupation_label = models.CharField(_("métier (ROME)"), max_length=200, blank=True)
    siret = models.CharField(
        _("SIRET de l'établissement"), max_length=14, blank=True, validators=[validate_siret]
    )
    employer_name = models.CharField(_("employeur"), max_length=200, blank=True)
    # The employer's contact for the check-ins: written to only with the person's consent
    # "contact de l'employeur" (docs/after_hire.md).
    employer_email = models.EmailField(_("courriel du contact chez l'employeur"), blank=True)
    wage_band = models.CharField(
        _("tranche de salaire"), max_length=12, choices=WageBand.choices, default=WageBand.UNKNOWN
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.COUNSELOR)
    reported_on = models.DateField(_("date de l'information"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EmploymentOutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["-start_on", "-pk"]
        verbose_name = _("emploi")
        verbose_name_plural = _("emplois")
        indexes = [models.Index(fields=["episode", "-start_on"], name="outcome_episode_start")]

    def __str__(self) -> str:
        return f"{self.get_contract_type_display()} {self.start_on}"

    @property
    def is_durable(self) -> bool:
        """The current contract is durable (is_durable_contract)."""
        return is_durable_contract(self.contract_type, self.contract_months)


class CheckInPolicy(models.Model):
    """The months after the start at which an organisation checks in (default 1, 3, 6, 12)."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="checkin_policy"
    )
    horizons = models.JSONField(_("mois après le début"), default=list)

    class Meta:
        verbose_name = _("calendrier des points de suivi")
        verbose_name_plural = _("calendriers des points de suivi")

    def __str__(self) -> str:
        return ", ".join(str(h) for h in self.horizons)

    def clean(self):
        if not self.horizons or any(not isinstance(h, int) or not 1 <= h <= 36 for h in self.horizons):
            raise ValidationError({"horizons": _("Des nombres de mois entre 1 et 36.")})


class CheckInQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(outcome__episode__in=access.episodes(user))

    def pending(self):
        return self.filter(status__in=[CheckIn.Status.SCHEDULED, CheckIn.Status.REMINDED])


class CheckIn(models.Model):
    """One question "how is the job going?" at a horizon after the start.

    Unanswered check-ins are reminded, then marked UNKNOWN: never counted as unemployed."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Prévu")
        REMINDED = "reminded", _("Relancé")
        ANSWERED = "answered", _("Répondu")
        UNKNOWN = "unknown", _("Sans réponse")

    class Respondent(models.TextChoices):
        PERSON = "person", _("La personne")
        COUNSELOR = "counselor", _("Le ou la conseiller·ère (appel)")
        EMPLOYER = "employer", _("L'employeur")

    outcome = models.ForeignKey(EmploymentOutcome, on_delete=models.CASCADE, related_name="checkins")
    horizon_months = models.PositiveSmallIntegerField(_("mois après le début"))
    due_on = models.DateField(_("prévu le"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    reminded_at = models.DateTimeField(_("relancé le"), null=True, blank=True)
    answered_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    respondent = models.CharField(_("réponse de"), max_length=10, choices=Respondent.choices, blank=True)
    still_employed = models.BooleanField(_("toujours en emploi"), null=True)
    same_employer = models.BooleanField(_("même employeur"), null=True)
    weekly_hours = models.DecimalField(_("heures par semaine"), max_digits=4, decimal_places=1, null=True)
    difficulties = models.JSONField(_("difficultés"), default=list, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("point de suivi après l'embauche")
        verbose_name_plural = _("points de suivi après l'embauche")
        constraints = [
            models.UniqueConstraint(fields=["outcome", "horizon_months"], name="checkin_one_per_horizon")
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="checkin_status_due")]

    def __str__(self) -> str:
        return f"{self.horizon_months} mois ({self.get_status_display()})"

    def visible_difficulties(self, can_see_sensitive: bool) -> list[str]:
        """Health and justice difficulties are sensitive: only their readers see them."""
        return [kind for kind in self.difficulties if can_see_sensitive or kind not in SENSITIVE_BARRIERS]

    def difficulty_labels(self, can_see_sensitive: bool) -> list[str]:
        labels = dict(BarrierKind.choices)
        return [str(labels[kind]) for kind in self.visible_difficulties(can_see_sensitive)]


class CheckInLink(models.Model):
    """A one-time link to answer a check-in, for the person or (with consent) the employer."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="links")
    respondent = models.CharField(max_length=10, choices=CheckIn.Respondent.choices)
    nonce = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lien de réponse")
        verbose_name_plural = _("liens de réponse")

    def __str__(self) -> str:
        return f"{self.get_respondent_display()} #{self.pk}"


class ContractChange(models.Model):
    """A change of the contract or the hours of a job with the same employer, reported after the
    hire (usually in a check-in answer). The outcome holds the current terms; each change keeps the
    terms before and after and the day it took effect, so that an indicator reads the contract
    valid at its horizon (docs/after_hire.md)."""

    outcome = models.ForeignKey(EmploymentOutcome, on_delete=models.CASCADE, related_name="contract_changes")
    effective_on = models.DateField(_("en vigueur depuis le"))
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="contract_changes"
    )
    before_contract_type = models.CharField(max_length=16, choices=ContractType.choices)
    before_contract_months = models.PositiveSmallIntegerField(null=True, blank=True)
    before_weekly_hours = models.DecimalField(max_digits=4, decimal_places=1)
    before_durable = models.BooleanField()
    contract_type = models.CharField(_("type de contrat"), max_length=16, choices=ContractType.choices)
    contract_months = models.PositiveSmallIntegerField(
        _("durée prévue du contrat (mois)"), null=True, blank=True
    )
    weekly_hours = models.DecimalField(_("heures par semaine"), max_digits=4, decimal_places=1)
    durable = models.BooleanField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "pk"]
        verbose_name = _("changement de contrat")
        verbose_name_plural = _("changements de contrat")

    def __str__(self) -> str:
        return f"{self.get_contract_type_display()} {self.weekly_hours} h ({self.effective_on})"
