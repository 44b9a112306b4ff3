"""Profiling in the platform: the registry of fitted models and the scores of episodes.

A score is decision support for the counselor, never a decision: the counselor may override its
band, with a mandatory reason, and the override is what the orientation rules read.
The fitted artefact is stored in the row itself (``artefact``: joblib bytes of the Django-free
``parcours.stats.profiling.ProfilingModel``), so that every app server and worker reads the same
model from the database without a shared file system.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parcours.cases import access

# Default band cut-offs on the calibrated probability of the adverse outcome (no durable return
# to employment within 12 months): low < 0.40 <= medium < 0.70 <= high. A setting overrides them.
DEFAULT_BAND_CUTOFFS = (0.40, 0.70)


class Band(models.TextChoices):
    # Same values as parcours.diagnosis.models.ScoreBand, which the orientation rules read.
    LOW = "low", _("Faible")
    MEDIUM = "medium", _("Moyen")
    HIGH = "high", _("Élevé")


def band_cutoffs() -> tuple[float, float]:
    low, high = getattr(settings, "PARCOURS_PROFILING_BAND_CUTOFFS", DEFAULT_BAND_CUTOFFS)
    return float(low), float(high)


def band_of(probability: float) -> str:
    low, high = band_cutoffs()
    if probability < low:
        return Band.LOW
    if probability < high:
        return Band.MEDIUM
    return Band.HIGH


class Algorithm(models.TextChoices):
    LOGISTIC = "logistic", _("Régression logistique pénalisée")
    LIGHTGBM = "lightgbm", _("LightGBM (arbres de décision boostés)")


class ProfilingModelQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class ProfilingModel(models.Model):
    """One fitted profiling model, its evaluation and its model card. At most one is active."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    training_data = models.TextField(_("données d'apprentissage"), blank=True)
    n_rows = models.PositiveIntegerField(_("nombre d'accompagnements"), default=0)
    outcome_definition = models.TextField(_("définition du résultat"))
    features = models.JSONField(_("variables"), default=list)
    algorithm = models.CharField(_("algorithme retenu"), max_length=12, choices=Algorithm.choices)
    metrics = models.JSONField(_("métriques"), default=dict)
    fairness = models.JSONField(_("audit d'équité"), default=dict)
    card = models.JSONField(_("fiche du modèle"), default=dict)
    card_html = models.TextField(_("fiche du modèle (HTML)"), blank=True)
    # joblib bytes of the fitted core model; loaded once per process (scores.load_fitted).
    artefact = models.BinaryField(editable=False)
    is_active = models.BooleanField(_("actif"), default=False)
    activated_at = models.DateTimeField(_("activé le"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ProfilingModelQuerySet.as_manager()

    class Meta:
        verbose_name = _("modèle de profilage")
        verbose_name_plural = _("modèles de profilage")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="profiling_one_active_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.get_algorithm_display()})"

    @property
    def auc(self) -> float | None:
        return (self.metrics or {}).get("auc")


class ModelActivation(models.Model):
    """Who activated which model, when, replacing which one."""

    model = models.ForeignKey(ProfilingModel, on_delete=models.CASCADE, related_name="activations")
    previous = models.ForeignKey(
        ProfilingModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("activation d'un modèle")
        verbose_name_plural = _("activations de modèles")

    def __str__(self) -> str:
        return f"{self.model_id} ({self.at:%Y-%m-%d})"


class ProfilingScoreQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(episode__in=access.episodes(user))

    def latest_for(self, episode):
        return self.filter(episode_id=episode.pk).order_by("-computed_at", "-pk").first()


class ProfilingScore(models.Model):
    """The estimated risk of one episode by one model, with its main factors and any override."""

    episode = models.ForeignKey(
        "cases.SupportEpisode", on_delete=models.CASCADE, related_name="profiling_scores"
    )
    model = models.ForeignKey(ProfilingModel, on_delete=models.PROTECT, related_name="scores")
    score = models.FloatField(_("probabilité estimée"))
    band = models.CharField(_("tranche"), max_length=8, choices=Band.choices)
    top_factors = models.JSONField(_("principaux facteurs"), default=list)
    # Hash of the model id and the inputs: the same information never creates a second score.
    inputs_hash = models.CharField(max_length=64, editable=False)
    computed_at = models.DateTimeField(_("calculé le"), auto_now_add=True)
    override_band = models.CharField(
        _("tranche retenue par le conseiller·ère"), max_length=8, choices=Band.choices, blank=True
    )
    override_reason = models.TextField(_("motif de l'écart"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    overridden_at = models.DateTimeField(_("écart décidé le"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ProfilingScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("score de profilage")
        verbose_name_plural = _("scores de profilage")
        ordering = ["-computed_at", "-pk"]
        indexes = [
            models.Index(fields=["episode", "computed_at"], name="profiling_score_episode"),
            models.Index(fields=["model", "computed_at"], name="profiling_score_model"),
        ]

    def __str__(self) -> str:
        return f"{self.get_band_display()} ({self.score:.2f})"

    @property
    def is_overridden(self) -> bool:
        return self.overridden_at is not None

    @property
    def effective_band(self) -> str:
        return self.override_band if self.is_overridden and self.override_band else self.band

    def get_effective_band_display(self) -> str:
        return str(Band(self.effective_band).label)

    @property
    def percent(self) -> int:
        return round(self.score * 100)
