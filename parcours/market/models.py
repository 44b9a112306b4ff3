"""Job offers, establishments, hires (hiring declarations), hiring predictions and tension values.

Occupations are referenced by their ROME code (``rome_code``, indexed), not by a foreign key to
``labour.Occupation``: offers and declarations arrive with codes that the referential may not
hold yet, and the two apps migrate independently. Offers and establishments are not personal data.
"""

import math

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.labour.models import RESOLVE_SCORE

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LAT = 111.32


class ContractType(models.TextChoices):
    """France Travail's ``typeContrat`` codes."""

    CDI = "CDI", _("CDI")
    CDD = "CDD", _("CDD")
    MIS = "MIS", _("Mission intérimaire")
    SAI = "SAI", _("Contrat saisonnier")
    LIB = "LIB", _("Profession libérale")
    FRA = "FRA", _("Franchise")
    REP = "REP", _("Reprise d'entreprise")
    TTI = "TTI", _("Travail temporaire d'insertion")
    DDI = "DDI", _("CDD d'insertion")
    DIN = "DIN", _("CDI intérimaire")
    CCE = "CCE", _("Profession commerciale")
    APP = "APP", _("Apprentissage")
    PRO = "PRO", _("Contrat de professionnalisation")
    OTHER = "AUT", _("Autre")


def bounding_box(latitude: float, longitude: float, radius_km: float) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of the square around a point: a superset of the
    circle, filtered on indexes before the exact haversine distance."""
    dlat = radius_km / KM_PER_DEGREE_LAT
    dlon = radius_km / (KM_PER_DEGREE_LAT * max(math.cos(math.radians(latitude)), 0.01))
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


class JobOfferQuerySet(models.QuerySet):
    def matchable(self):
        """Active canonical offers: duplicates from other sources are hidden behind their canonical."""
        return self.filter(is_active=True, duplicate_of__isnull=True)

    def uncertain_occupation(self):
        """Offers whose occupation was inferred from the title with a low score."""
        return self.filter(rome_score__lt=RESOLVE_SCORE)

    def in_box(self, latitude: float, longitude: float, radius_km: float):
        lat_min, lat_max, lon_min, lon_max = bounding_box(latitude, longitude, radius_km)
        return self.filter(latitude__range=(lat_min, lat_max), longitude__range=(lon_min, lon_max))


class JobOffer(models.Model):
    """A job offer, from France Travail's API shape, a CSV file or the demo."""

    source = models.CharField(_("source"), max_length=30)
    external_id = models.CharField(_("identifiant à la source"), max_length=60)
    title = models.CharField(_("intitulé"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    rome_code = models.CharField(_("code ROME"), max_length=5, db_index=True)
    rome_label = models.CharField(_("métier (ROME)"), max_length=200, blank=True)
    job_title_label = models.CharField(_("appellation"), max_length=200, blank=True)
    # Empty when the source gave the ROME code; the job-title normaliser's score when the code was
    # inferred from the title at import (the source had none).
    rome_score = models.FloatField(_("score du métier déduit de l'intitulé"), null=True, blank=True)
    employer_name = models.CharField(_("employeur"), max_length=200, blank=True)
    employer_siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    naf_code = models.CharField(_("code NAF"), max_length=6, blank=True)
    place_label = models.CharField(_("lieu de travail"), max_length=200, blank=True)
    commune_insee = models.CharField(_("commune (code INSEE)"), max_length=5, blank=True, db_index=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    contract_type = models.CharField(_("type de contrat"), max_length=3, choices=ContractType.choices)
    contract_label = models.CharField(_("contrat"), max_length=200, blank=True)
    hours_label = models.CharField(_("durée du travail"), max_length=200, blank=True)
    full_time = models.BooleanField(_("temps plein"), null=True, blank=True)
    salary_label = models.CharField(_("salaire (texte)"), max_length=300, blank=True)
    salary_min_monthly = models.DecimalField(
        _("salaire mensuel brut minimum"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    salary_max_monthly = models.DecimalField(
        _("salaire mensuel brut maximum"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    positions = models.PositiveSmallIntegerField(_("nombre de postes"), default=1)
    experience = models.CharField(_("expérience exigée"), max_length=1, blank=True)
    skills = models.JSONField(_("compétences"), default=list, blank=True)
    # Normalised skill labels joined by "|": read for up to a few thousand candidates in matching.
    skill_keys = models.TextField(blank=True, default="")
    posted_at = models.DateTimeField(_("publiée le"), default=timezone.now)
    source_updated_at = models.DateTimeField(_("actualisée le"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    dedup_key = models.CharField(max_length=64, db_index=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("doublon de"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JobOfferQuerySet.as_manager()

    class Meta:
        verbose_name = _("offre d'emploi")
        verbose_name_plural = _("offres d'emploi")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="offer_unique_source_id")
        ]
        indexes = [
            # Matching: rome_code IN (...) AND latitude BETWEEN ... on active canonical offers.
            # Covering (PostgreSQL): the candidates and their recency are read from the index alone
            # (index-only scan), so a dense city with 10,000+ candidates costs no heap reads.
            models.Index(
                fields=["rome_code", "latitude", "longitude"],
                include=["id", "posted_at", "contract_type", "full_time"],
                condition=Q(is_active=True, duplicate_of__isnull=True),
                name="offer_match",
            ),
            models.Index(
                fields=["latitude", "longitude"],
                condition=Q(is_active=True, duplicate_of__isnull=True),
                name="offer_match_geo",
            ),
            models.Index(fields=["rome_code", "posted_at"], name="offer_rome_posted"),
            models.Index(fields=["-posted_at", "-id"], name="offer_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.rome_code})"

    @property
    def rome_inferred(self) -> bool:
        """The occupation was inferred from the title by the normaliser, not given by the source."""
        return self.rome_score is not None

    @property
    def rome_uncertain(self) -> bool:
        """Inferred with a score under :data:`RESOLVE_SCORE`: worth a look before trusting it."""
        return self.rome_score is not None and self.rome_score < RESOLVE_SCORE

    @property
    def salary_mid_monthly(self) -> float | None:
        if self.salary_min_monthly is None:
            return None
        high = self.salary_max_monthly if self.salary_max_monthly is not None else self.salary_min_monthly
        return float(self.salary_min_monthly + high) / 2


class Establishment(models.Model):
    """An employer's establishment (SIRET), as seen in hiring declarations. Not personal data."""

    siret = models.CharField(_("SIRET"), max_length=14, unique=True)
    name = models.CharField(_("nom"), max_length=200, blank=True)
    naf_code = models.CharField(_("code NAF"), max_length=6, blank=True)
    commune_insee = models.CharField(_("commune (code INSEE)"), max_length=5, blank=True, db_index=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    headcount = models.PositiveIntegerField(_("effectif"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        ordering = ["name", "siret"]

    def __str__(self) -> str:
        return self.name or self.siret


class Hire(models.Model):
    """One hire from a hiring declaration (DPAE/DSN extract)."""

    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="hires")
    hired_on = models.DateField(_("date d'embauche"))
    rome_code = models.CharField(_("code ROME"), max_length=5, blank=True, db_index=True)
    contract_type = models.CharField(
        _("type de contrat"), max_length=3, choices=ContractType.choices, blank=True
    )
    # The declaration's own id when the file has one, else a hash of the line and its occurrence
    # number in the file: re-importing the same file adds nothing.
    declaration_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("embauche")
        verbose_name_plural = _("embauches")
        indexes = [
            models.Index(fields=["establishment", "hired_on"]),
            models.Index(fields=["hired_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.establishment_id} {self.hired_on} {self.rome_code}"


class HiringModelRun(models.Model):
    """A fitted hiring model: its version, parameters and evaluation on a later period."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    kind = models.CharField(_("modèle"), max_length=20)
    trained_until = models.DateField(_("données jusqu'au"))
    params = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("modèle de recrutement")
        verbose_name_plural = _("modèles de recrutement")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.version


class HiringPredictionQuerySet(models.QuerySet):
    def latest_run(self):
        run = HiringModelRun.objects.order_by("-created_at", "-pk").first()
        return self.filter(run=run) if run else self.none()


class HiringPrediction(models.Model):
    """Expected hires of an establishment over the horizon, in one occupation (or all: empty code)."""

    run = models.ForeignKey(HiringModelRun, on_delete=models.CASCADE, related_name="predictions")
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="predictions")
    rome_code = models.CharField(_("code ROME"), max_length=5, blank=True)
    horizon_start = models.DateField(_("à partir du"))
    horizon_end = models.DateField(_("jusqu'au"))
    expected_hires = models.FloatField(_("embauches attendues"))
    past_hires_12 = models.PositiveIntegerField(_("embauches des 12 derniers mois"), default=0)
    past_hires_24 = models.PositiveIntegerField(_("embauches des 24 derniers mois"), default=0)
    reason = models.CharField(_("raison"), max_length=300)

    objects = HiringPredictionQuerySet.as_manager()

    class Meta:
        verbose_name = _("prévision d'embauches")
        verbose_name_plural = _("prévisions d'embauches")
        constraints = [
            models.UniqueConstraint(fields=["run", "establishment", "rome_code"], name="prediction_unique")
        ]
        indexes = [models.Index(fields=["run", "rome_code", "-expected_hires"], name="prediction_rank")]

    def __str__(self) -> str:
        return f"{self.establishment_id} {self.rome_code or '*'} {self.expected_hires:.1f}"


class TensionValue(models.Model):
    """The tension indicator of one occupation × territory over one period (definition versioned)."""

    rome_code = models.CharField(_("code ROME"), max_length=5)
    territory = models.ForeignKey(
        "organisations.Territory", on_delete=models.CASCADE, related_name="+", verbose_name=_("territoire")
    )
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période (exclue)"))
    offers = models.PositiveIntegerField(_("offres publiées"))
    seekers = models.PositiveIntegerField(_("personnes qui recherchent ce métier"))
    hires = models.PositiveIntegerField(_("embauches déclarées"))
    ratio = models.FloatField(_("offres par personne en recherche"), null=True, blank=True)
    hires_per_seeker = models.FloatField(_("embauches par personne en recherche"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("niveau de tension (1 à 5)"), null=True, blank=True)
    definition_version = models.PositiveSmallIntegerField(_("version de la définition"))
    computed_at = models.DateTimeField(_("calculé le"), default=timezone.now)

    class Meta:
        verbose_name = _("valeur de tension")
        verbose_name_plural = _("valeurs de tension")
        constraints = [
            models.UniqueConstraint(
                fields=["rome_code", "territory", "period_start", "period_end", "definition_version"],
                name="tension_unique",
            )
        ]
        indexes = [models.Index(fields=["rome_code", "territory", "-period_end"], name="tension_latest")]

    def __str__(self) -> str:
        return f"{self.rome_code} {self.territory_id} {self.period_start}–{self.period_end}"
