"""The commitments agreed with the person (versioned per episode) and the graduated sanction
procedure: one TRANSITIONS table, one log model. Rules and sources: docs/obligations.md."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcours.cases import access
from parcours.cases.models import InvalidTransition, Section, SupportEpisode
from parcours.ops.encryption import EncryptedTextField


class Obligation(models.Model):
    """One version of the commitments of an episode; a change is a new version, never an edit."""

    episode = models.ForeignKey(SupportEpisode, on_delete=models.PROTECT, related_name="obligations")
    version = models.PositiveIntegerField()
    activity_hours_per_week = models.PositiveSmallIntegerField(_("heures d'activité par semaine"), default=0)
    job_search_actions_per_month = models.PositiveSmallIntegerField(
        _("démarches de recherche d'emploi par mois"), default=0
    )
    attend_appointments = models.BooleanField(_("se rendre aux rendez-vous fixés"), default=True)
    other = models.CharField(_("autre engagement"), max_length=300, blank=True)
    agreed_on = models.DateField(_("convenu le"))
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("engagements")
        verbose_name_plural = _("engagements")
        constraints = [
            models.UniqueConstraint(fields=["episode", "version"], name="obligation_version_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.agreed_on}"


class Status(models.TextChoices):
    BREACH = "breach", _("Manquement constaté")
    BLOCKED = "blocked", _("Bloquée : accompagnement insuffisant")
    NOTICE_SENT = "notice_sent", _("Avertissement préalable envoyé")
    OBSERVATIONS = "observations", _("Observations reçues")
    DECIDED = "decided", _("Décision prise")
    APPEALED = "appealed", _("Recours en cours")
    LIFTED = "lifted", _("Levée")
    WITHDRAWN = "withdrawn", _("Abandonnée")


# The graduated procedure (docs/obligations.md). BLOCKED -> NOTICE_SENT only by a manager's
# override with a written reason; DECIDED -> DECIDED is the decision on an appeal.
TRANSITIONS: dict[str, set[str]] = {
    Status.BREACH: {Status.NOTICE_SENT, Status.BLOCKED, Status.WITHDRAWN},
    Status.BLOCKED: {Status.NOTICE_SENT, Status.WITHDRAWN},
    Status.NOTICE_SENT: {Status.OBSERVATIONS, Status.DECIDED, Status.WITHDRAWN},
    Status.OBSERVATIONS: {Status.DECIDED, Status.WITHDRAWN},
    Status.DECIDED: {Status.APPEALED, Status.LIFTED},
    Status.APPEALED: {Status.DECIDED},
    Status.LIFTED: set(),
    Status.WITHDRAWN: set(),
}


class Decision(models.TextChoices):
    """The decisions every organisation has (no sanction, a warning) and the codes of the default
    ladder (DEFAULT_LADDER): the radiation lengths of the Code du travail for the first, second and
    third breach of a same group (docs/obligations.md)."""

    NO_SANCTION = "no_sanction", _("Pas de sanction")
    WARNING = "warning", _("Avertissement")
    RADIATION_1_MONTH = "radiation_1", _("Radiation d'un mois (premier manquement)")
    RADIATION_2_MONTHS = "radiation_2", _("Radiation de deux mois (deuxième manquement)")
    RADIATION_4_MONTHS = "radiation_4", _("Radiation de quatre mois (à partir du troisième)")


# The ladder of an organisation without a SanctionLadder row. A step: a code, a label and the
# months of radiation it carries (0 for a sanction that is not a radiation, e.g. a suspension of
# the allowance).
DEFAULT_LADDER: list[dict] = [
    {"code": "radiation_1", "label": "Radiation d'un mois (premier manquement)", "radiation_months": 1},
    {"code": "radiation_2", "label": "Radiation de deux mois (deuxième manquement)", "radiation_months": 2},
    {
        "code": "radiation_4",
        "label": "Radiation de quatre mois (à partir du troisième)",
        "radiation_months": 4,
    },
]
RADIATIONS = {step["code"] for step in DEFAULT_LADDER}
# Days the person has to send observations after the prior notice (contradictory procedure), and
# to appeal a decision (two months: the general time limit of administrative appeals).
DEFAULT_OBSERVATION_DAYS = 15
DEFAULT_APPEAL_DAYS = 60
CODE = re.compile(r"^[a-z0-9_]{1,40}$")


class SanctionLadder(models.Model):
    """An organisation's own ladder and time limits (Django admin); without a row the defaults
    apply. Decisions already taken keep the label and radiation months they were taken with."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="sanction_ladder"
    )
    steps = models.JSONField(
        _("échelons"),
        default=list,
        help_text=_(
            'Liste d\'échelons, du plus léger au plus lourd : {"code": "radiation_1", "label": "…", '
            '"radiation_months": 1} (0 mois pour une sanction qui n\'est pas une radiation).'
        ),
    )
    observation_days = models.PositiveSmallIntegerField(
        _("jours pour présenter des observations"), default=DEFAULT_OBSERVATION_DAYS
    )
    appeal_days = models.PositiveSmallIntegerField(
        _("jours pour former un recours"), default=DEFAULT_APPEAL_DAYS
    )
    legal_source = models.TextField(_("source juridique de l'échelle"), blank=True)

    class Meta:
        verbose_name = _("échelle des sanctions")
        verbose_name_plural = _("échelles des sanctions")

    def __str__(self) -> str:
        return ", ".join(step.get("code", "?") for step in self.steps)

    def clean(self):
        problems = []
        if not isinstance(self.steps, list) or not self.steps:
            problems.append(_("Au moins un échelon."))
        else:
            seen = set()
            for step in self.steps:
                if not isinstance(step, dict) or set(step) != {"code", "label", "radiation_months"}:
                    problems.append(_("Chaque échelon a exactement code, label et radiation_months."))
                    break
                code, months = step["code"], step["radiation_months"]
                if (
                    not isinstance(code, str)
                    or not CODE.match(code)
                    or code in (Decision.NO_SANCTION, Decision.WARNING)
                ):
                    problems.append(_("Code invalide : %(code)s") % {"code": code})
                elif code in seen:
                    problems.append(_("Code en double : %(code)s") % {"code": code})
                seen.add(code)
                if not isinstance(step["label"], str) or not step["label"].strip():
                    problems.append(_("Chaque échelon a un libellé."))
                if not isinstance(months, int) or isinstance(months, bool) or not 0 <= months <= 24:
                    problems.append(_("radiation_months : un nombre de mois entre 0 et 24."))
        if not 1 <= self.observation_days <= 90:
            problems.append(_("Entre 1 et 90 jours pour les observations."))
        if problems:
            raise ValidationError({"steps": problems})


class Ladder:
    """The ladder and time limits in force for an organisation."""

    def __init__(self, organisation_id: int):
        row = SanctionLadder.objects.filter(organisation_id=organisation_id).first()
        self.steps: list[dict] = row.steps if row else DEFAULT_LADDER
        self.observation_days: int = row.observation_days if row else DEFAULT_OBSERVATION_DAYS
        self.appeal_days: int = row.appeal_days if row else DEFAULT_APPEAL_DAYS

    def choices(self) -> list[tuple[str, str]]:
        """(code, label) of every decision; the default codes with their translated labels."""
        known = dict(Decision.choices)
        return [
            (Decision.NO_SANCTION.value, known[Decision.NO_SANCTION]),
            (Decision.WARNING.value, known[Decision.WARNING]),
            *[(step["code"], known.get(step["code"], step["label"])) for step in self.steps],
        ]

    def step(self, code: str) -> dict | None:
        """{label, radiation_months} of a decision code, None when the ladder has no such step."""
        if code in (Decision.NO_SANCTION, Decision.WARNING):
            return {"code": code, "label": dict(Decision.choices)[code], "radiation_months": 0}
        return next((s for s in self.steps if s["code"] == code), None)


class ProcedureQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Sanctions are a sensitive section: the referent and granted follow-up members only."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(episode__in=access.episodes(user)).filter(access.sensitive_filter(user))


class SanctionProcedure(models.Model):
    episode = models.ForeignKey(SupportEpisode, on_delete=models.PROTECT, related_name="sanction_procedures")
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("étape"), max_length=14, choices=Status.choices, default=Status.BREACH)
    section = models.CharField(
        max_length=10, choices=Section.choices, default=Section.SANCTIONS, editable=False
    )
    # The sanctions section's free text is encrypted at rest (parcours/ops/encryption.py).
    breach = EncryptedTextField(_("manquement constaté"))
    evidence = EncryptedTextField(_("éléments de preuve"))
    period_start = models.DateField(_("début de la période examinée"))
    shortfalls = models.JSONField(_("manques de l'accompagnement"), default=list, blank=True)
    override_reason = EncryptedTextField(_("motif du passage outre"), blank=True)
    observations_due_on = models.DateField(_("observations attendues avant le"), null=True, blank=True)
    observations = EncryptedTextField(_("observations de la personne"), blank=True)
    # The code of a step of the organisation's ladder, with its label and radiation months as they
    # were when the decision was taken (a later change of the ladder does not rewrite it).
    decision = models.CharField(_("décision"), max_length=40, blank=True)
    decision_label = models.CharField(_("libellé de la décision"), max_length=200, blank=True)
    radiation_months = models.PositiveSmallIntegerField(_("mois de radiation"), default=0)
    decision_reasons = EncryptedTextField(_("motifs de la décision"), blank=True)
    decided_on = models.DateField(_("décidée le"), null=True, blank=True)
    appeal_due_on = models.DateField(_("recours possible jusqu'au"), null=True, blank=True)
    # Set by the periodic job (run_deadlines): the deadline for observations passed without any;
    # the appeal window closed (the decision is final).
    observations_expired_on = models.DateField(_("délai d'observations expiré le"), null=True, blank=True)
    final_on = models.DateField(_("décision définitive le"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProcedureQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("procédure de sanction")
        verbose_name_plural = _("procédures de sanction")

    def __str__(self) -> str:
        return f"{self.get_status_display()} #{self.pk}"

    @property
    def is_radiation(self) -> bool:
        return self.status == Status.DECIDED and self.radiation_months > 0

    @property
    def decision_display(self) -> str:
        """The label of the decision: translated for the default codes, as recorded otherwise."""
        return dict(Decision.choices).get(self.decision, self.decision_label)

    @property
    def is_sanction(self) -> bool:
        return bool(self.decision) and self.decision != Decision.NO_SANCTION

    def transition_to(self, status: str) -> None:
        if status not in TRANSITIONS[self.status]:
            raise InvalidTransition(f"a procedure cannot go from '{self.status}' to '{status}'")
        self.status = status


class ProcedureStep(models.Model):
    """The log of the procedure: every step dated, with who made it."""

    procedure = models.ForeignKey(SanctionProcedure, on_delete=models.CASCADE, related_name="steps")
    from_status = models.CharField(max_length=14, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=14, choices=Status.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    is_override = models.BooleanField(default=False)
    # The person made this step themselves in the portal (observations, appeal); `by` is then empty.
    by_person = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"
