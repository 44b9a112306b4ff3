"""Evaluation built into the platform (R13): satisfaction surveys with pseudonymised answers, a
versioned indicator registry with stored values, randomised experiments assigned at intake, and
their versioned impact reports.

Every figure published from these tables goes through ``suppress()``: no value is shown for
fewer than ``SMALL_CELL_THRESHOLD`` answers or people (statistical secrecy, see
docs/evaluation_platform.md)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.accounts.models import Role

# The one small-cell threshold: a figure computed on fewer people or answers is never shown,
# on any page, export, API answer or PDF.
SMALL_CELL_THRESHOLD = 11


def is_publishable(n: int | None) -> bool:
    return n is not None and n >= SMALL_CELL_THRESHOLD


def suppress(value, n: int | None):
    """The value if it rests on enough people or answers, else None (shown as "secret")."""
    return value if is_publishable(n) else None


class FrozenError(Exception):
    """A change to something that must not change (registered pre-registration, assignment)."""


# --------------------------------------------------------------------------- satisfaction


class Moment(models.TextChoices):
    FIRST_INTERVIEW = "first_interview", _("Premier entretien")
    REFERRAL_COMPLETED = "referral_completed", _("Orientation réalisée")
    EPISODE_END = "episode_end", _("Fin d'accompagnement")
    SIX_MONTHS_AFTER_HIRE = "six_months_after_hire", _("Six mois après l'embauche")


class SatisfactionSurvey(models.Model):
    """A short questionnaire sent after one key moment; its questions live in versions."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    moment = models.CharField(_("moment"), max_length=24, choices=Moment.choices, unique=True)
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enquête de satisfaction")
        verbose_name_plural = _("enquêtes de satisfaction")
        ordering = ["moment"]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> "SurveyVersion | None":
        return self.versions.order_by("-number").first()


class SurveyVersion(models.Model):
    """Questions as JSON: ``[{"code", "type": "scale|yes_no|text", "label": {"fr", "en"},
    "overall": bool}]``. A version is never edited once answered: a change makes a new version."""

    survey = models.ForeignKey(SatisfactionSurvey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    questions = models.JSONField(_("questions"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("version d'enquête")
        verbose_name_plural = _("versions d'enquête")
        constraints = [models.UniqueConstraint(fields=["survey", "number"], name="survey_version_unique")]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"

    def overall_code(self) -> str | None:
        return next((q["code"] for q in self.questions if q.get("overall")), None)

    def scale_codes(self) -> list[str]:
        return [q["code"] for q in self.questions if q["type"] == "scale"]


class SurveyInvitation(models.Model):
    """One invitation per episode and moment (idempotent sending); its link works once.

    The invitation knows the episode (to send it and never twice); the answer does not know the
    invitation, so answers cannot be joined back to a person through it."""

    class Status(models.TextChoices):
        SENT = "sent", _("Envoyée")
        NO_CHANNEL = "no_channel", _("Aucun canal joignable")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(
        "cases.SupportEpisode", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    moment = models.CharField(_("moment"), max_length=24, choices=Moment.choices)
    survey_version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="invitations")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("canal"), max_length=20, blank=True)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.SENT)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation à une enquête")
        verbose_name_plural = _("invitations aux enquêtes")
        constraints = [
            models.UniqueConstraint(fields=["episode", "moment"], name="invitation_once_per_moment")
        ]

    def __str__(self) -> str:
        return f"{self.get_moment_display()} ({self.created_at:%Y-%m-%d})"


class SurveyResponse(models.Model):
    """A pseudonymised answer: no link to the person, the episode or the invitation.

    ``person_key`` and ``episode_key`` are keyed hashes (HMAC-SHA256 with SECRET_KEY) used only to
    count distinct people and refuse a second answer for the same episode and moment."""

    survey_version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    moment = models.CharField(_("moment"), max_length=24, choices=Moment.choices)
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="survey_responses"
    )
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(
        "organisations.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person_key = models.CharField(max_length=64, db_index=True)
    episode_key = models.CharField(max_length=64)
    answers = models.JSONField(_("réponses"))
    # Denormalised from the question flagged "overall" (1 to 5) so that results aggregate on a column.
    overall_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # A date, not a time: less precision, fewer ways to link an answer to an appointment.
    answered_on = models.DateField(default=timezone.localdate)

    class Meta:
        verbose_name = _("réponse à une enquête")
        verbose_name_plural = _("réponses aux enquêtes")
        constraints = [
            models.UniqueConstraint(fields=["episode_key", "moment"], name="response_once_per_moment"),
        ]
        indexes = [
            models.Index(fields=["counselor", "answered_on"]),
            models.Index(fields=["organisation", "site", "answered_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_moment_display()} ({self.answered_on})"


class Outbox(models.Model):
    """Every message sent (or attempted) on a channel, for audit and for the console backends."""

    class Status(models.TextChoices):
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    channel = models.CharField(max_length=20)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    invitation = models.ForeignKey(
        SurveyInvitation, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENT)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message envoyé")
        verbose_name_plural = _("messages envoyés")

    def __str__(self) -> str:
        return f"{self.channel} {self.created_at:%Y-%m-%d}"


class CounselorReply(models.Model):
    """Right of reply: the counselor's comment on their results for a period, read by managers."""

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="result_replies"
    )
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("période"), max_length=7, help_text=_("AAAA ou AAAA-Tn"))
    text = models.TextField(_("mon commentaire"), max_length=4000)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("droit de réponse")
        verbose_name_plural = _("droits de réponse")
        constraints = [
            models.UniqueConstraint(
                fields=["counselor", "organisation", "period"], name="reply_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.counselor} — {self.period}"


# --------------------------------------------------------------------------- indicators


class Granularity(models.TextChoices):
    MONTH = "month", _("Mois")
    QUARTER = "quarter", _("Trimestre")
    YEAR = "year", _("Année")


class Dimension(models.TextChoices):
    ALL = "all", _("Ensemble")
    ORGANISATION = "organisation", _("Organisation")
    SITE = "site", _("Équipe (site)")
    TERRITORY = "territory", _("Territoire (commune)")


class Indicator(models.Model):
    """A results indicator defined as data; its formula lives in versions."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_fr = models.CharField(_("nom (fr)"), max_length=200)
    name_en = models.CharField(_("nom (en)"), max_length=200)
    definition_fr = models.TextField(_("définition (fr)"))
    definition_en = models.TextField(_("définition (en)"))
    unit = models.CharField(_("unité"), max_length=40)
    population = models.CharField(_("population"), max_length=300)
    granularity = models.CharField(
        _("granularité minimale"), max_length=8, choices=Granularity.choices, default=Granularity.MONTH
    )
    # Whether a higher value is better (for charts and reading), not used in computations.
    higher_is_better = models.BooleanField(default=True)
    is_public = models.BooleanField(_("publié sur la page de transparence"), default=True)

    class Meta:
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_fr

    def name(self, language: str = "fr") -> str:
        return self.name_en if language.startswith("en") else self.name_fr

    def definition(self, language: str = "fr") -> str:
        return self.definition_en if language.startswith("en") else self.definition_fr

    def current_version(self) -> "IndicatorVersion | None":
        """The newest activated version (a proposed one is computed, for comparison, not published)."""
        return self.versions.filter(activated_at__isnull=False).order_by("-number").first()


class IndicatorVersion(models.Model):
    """One formula of an indicator: a registered computation (``formula_key``) and its parameters.
    Changing the formula creates a new version; old values stay, side by side."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    formula_key = models.CharField(_("calcul"), max_length=60)
    parameters = models.JSONField(_("paramètres"), default=dict, blank=True)
    valid_from = models.DateField(_("en vigueur depuis"), default=timezone.localdate)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Empty while the version is proposed: computed side by side with the others on the internal
    # pages, not published. Set by actions.activate_indicator_version.
    activated_at = models.DateTimeField(_("activée le"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("version d'indicateur")
        verbose_name_plural = _("versions d'indicateur")
        ordering = ["indicator", "number"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "number"], name="indicator_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} v{self.number}"


class IndicatorValue(models.Model):
    """A stored value: pages read these, never recompute them."""

    version = models.ForeignKey(IndicatorVersion, on_delete=models.CASCADE, related_name="values")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(
        "organisations.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    territory = models.ForeignKey(
        "organisations.Territory", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    granularity = models.CharField(max_length=8, choices=Granularity.choices)
    period_start = models.DateField()
    value = models.FloatField(null=True)
    numerator = models.FloatField()
    denominator = models.FloatField()
    n = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("valeur d'indicateur")
        verbose_name_plural = _("valeurs d'indicateur")
        indexes = [
            models.Index(fields=["version", "dimension", "granularity", "period_start"]),
            models.Index(fields=["organisation", "granularity", "period_start"]),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.dimension} {self.period_start}"

    @property
    def published_value(self):
        return suppress(self.value, self.n)


# --------------------------------------------------------------------------- experiments


class Experiment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        REGISTERED = "registered", _("Pré-enregistrée")
        RUNNING = "running", _("En cours")
        CLOSED = "closed", _("Close")
        ANALYSED = "analysed", _("Analysée")

    class Unit(models.TextChoices):
        INDIVIDUAL = "individual", _("Individu")
        TERRITORY = "territory", _("Territoire (commune de la personne)")
        SITE = "site", _("Site")

    class Design(models.TextChoices):
        SIMPLE = "simple", _("Tirage simple")
        STRATIFIED = "stratified", _("Stratifié par blocs")
        CLUSTER = "cluster", _("Par grappes")
        TWO_LEVEL = "two_level", _("À deux niveaux (part de traités par grappe)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("titre"), max_length=200)
    question = models.TextField(_("question évaluée"))
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="experiments"
    )
    eligibility = models.JSONField(_("critères d'éligibilité"), default=dict, blank=True)
    unit = models.CharField(
        _("unité de tirage"), max_length=12, choices=Unit.choices, default=Unit.INDIVIDUAL
    )
    design = models.CharField(_("plan"), max_length=12, choices=Design.choices, default=Design.SIMPLE)
    strata_fields = models.JSONField(_("variables de stratification"), default=list, blank=True)
    shares = models.JSONField(_("parts de traités (plan à deux niveaux)"), default=list, blank=True)
    outcomes = models.JSONField(_("résultats pré-enregistrés"), default=list)
    subgroups = models.JSONField(_("sous-groupes pré-enregistrés"), default=list, blank=True)
    covariates = models.JSONField(_("covariables"), default=list, blank=True)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    seed = models.BigIntegerField(_("graine"))
    value_per_employed_month = models.FloatField(_("valeur d'un mois d'emploi (€)"), default=1500.0)
    discount_rate = models.FloatField(_("taux d'actualisation annuel"), default=0.025)
    horizon_months = models.PositiveSmallIntegerField(_("horizon (mois)"), default=24)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    preregistration = models.JSONField(_("pré-enregistrement figé"), default=dict, blank=True)
    preregistration_hash = models.CharField(max_length=64, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    # Once registered, only these change (the status machine and its dates).
    MUTABLE_AFTER_REGISTRATION = frozenset({"status", "updated_at", "version"})

    TRANSITIONS = {
        Status.DRAFT: {Status.REGISTERED},
        Status.REGISTERED: {Status.RUNNING},
        Status.RUNNING: {Status.CLOSED},
        Status.CLOSED: {Status.ANALYSED},
        Status.ANALYSED: {Status.ANALYSED},
    }

    class Meta:
        verbose_name = _("expérimentation")
        verbose_name_plural = _("expérimentations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored is not None and stored != self.Status.DRAFT:
                fields = kwargs.get("update_fields")
                if fields is None or not set(fields) <= self.MUTABLE_AFTER_REGISTRATION:
                    raise FrozenError(
                        "a registered experiment cannot be changed (pre-registration is frozen)"
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_frozen:
            raise FrozenError("a registered experiment cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT

    def control_arm(self) -> "Arm":
        return self.arms.order_by("position").first()


class Arm(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    position = models.PositiveSmallIntegerField(_("rang"), help_text=_("0 = groupe témoin"))
    name = models.CharField(_("nom"), max_length=100)
    weight = models.PositiveSmallIntegerField(_("poids d'allocation"), default=1)
    cost_per_participant = models.FloatField(_("coût par participant (€)"), default=0.0)

    class Meta:
        verbose_name = _("bras")
        verbose_name_plural = _("bras")
        ordering = ["experiment", "position"]
        constraints = [models.UniqueConstraint(fields=["experiment", "position"], name="arm_unique_position")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)

    def _check_draft(self):
        status = Experiment.objects.filter(pk=self.experiment_id).values_list("status", flat=True).first()
        if status is not None and status != Experiment.Status.DRAFT:
            raise FrozenError("the arms of a registered experiment cannot change")


class ImmutableQuerySet(models.QuerySet):
    """Bulk update and delete are refused: these rows are an audit trail."""

    def update(self, **kwargs):
        raise FrozenError(f"{self.model.__name__} rows cannot be updated")

    def delete(self):
        raise FrozenError(f"{self.model.__name__} rows cannot be deleted")

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(experiment__organisation_id__in=user.organisation_ids(frozenset({Role.ANALYST})))


class ImmutableModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise FrozenError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenError(f"{type(self).__name__} rows cannot be deleted")


class ClusterDraw(ImmutableModel):
    """The draw of a cluster (territory or site): its arm, or its treated share in a two-level
    design. Drawn once, when the first person of the cluster enters the experiment."""

    experiment = models.ForeignKey(Experiment, on_delete=models.PROTECT, related_name="cluster_draws")
    cluster_key = models.CharField(max_length=40)
    position = models.PositiveIntegerField()
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    share = models.FloatField(null=True, blank=True)
    drawn_at = models.DateTimeField(default=timezone.now)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "cluster_key"], name="cluster_draw_once"),
        ]

    def __str__(self) -> str:
        return self.cluster_key


class AssignmentCounter(models.Model):
    """Next position in a stratum of an experiment (sequential permuted blocks)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="counters")
    stratum = models.CharField(max_length=200)
    next_position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "stratum"], name="counter_unique_stratum")
        ]

    def __str__(self) -> str:
        return f"{self.stratum}: {self.next_position}"


class Assignment(ImmutableModel):
    """A person's randomised arm in an experiment: written once, never changed nor deleted.

    ``stratum`` and ``position`` (or the hashed unit id for simple designs) are enough to
    recompute the arm from the experiment's seed."""

    experiment = models.ForeignKey(Experiment, on_delete=models.PROTECT, related_name="assignments")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("cases.SupportEpisode", on_delete=models.PROTECT, related_name="+")
    unit_key = models.CharField(max_length=60)
    cluster_key = models.CharField(max_length=40, blank=True)
    stratum = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(null=True, blank=True)
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="assignments")
    share = models.FloatField(null=True, blank=True)
    assigned_on = models.DateField(default=timezone.localdate)
    assigned_at = models.DateTimeField(default=timezone.now)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("affectation")
        verbose_name_plural = _("affectations")
        constraints = [
            models.UniqueConstraint(fields=["experiment", "unit_key"], name="assignment_once_per_unit"),
        ]
        indexes = [models.Index(fields=["experiment", "arm"])]

    def __str__(self) -> str:
        return f"{self.experiment_id}/{self.unit_key}"


class TakeUp(models.Model):
    """Whether the person actually received the arm's service (for LATE)."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="take_up")
    took_up = models.BooleanField(_("a bénéficié du dispositif"))
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.took_up}"


class ImpactReport(models.Model):
    """One analysis of an experiment, versioned; the page shows stored reports only."""

    experiment = models.ForeignKey(Experiment, on_delete=models.PROTECT, related_name="reports")
    number = models.PositiveIntegerField()
    as_of = models.DateField()
    results = models.JSONField()
    n = models.PositiveIntegerField()
    data_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("rapport d'impact")
        verbose_name_plural = _("rapports d'impact")
        ordering = ["experiment", "-number"]
        constraints = [models.UniqueConstraint(fields=["experiment", "number"], name="impact_report_unique")]

    def __str__(self) -> str:
        return f"{self.experiment_id} n°{self.number}"

    @property
    def is_publishable(self) -> bool:
        return is_publishable(self.n)
