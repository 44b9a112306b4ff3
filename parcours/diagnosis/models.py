"""Diagnosis (versioned questionnaire answers), barriers, skills, action plan and orientation (R2, R3).

Questionnaires are data (parcours/diagnosis/questionnaires/*.json, loaded by
`parcours diagnosis load-questionnaires`); every Diagnosis keeps the exact version it was answered
with, so a new version never changes how an old diagnosis reads.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.cases import access
from parcours.cases.models import Approach, Intensity, Section, SupportEpisode
from parcours.diagnosis import questionnaire as q
from parcours.ops.encryption import EncryptedJSONField, EncryptedTextField
from parcours.people.models import DigitalAutonomy


class BarrierKind(models.TextChoices):
    HEALTH = "health", _("Santé")
    HOUSING = "housing", _("Logement")
    MOBILITY = "mobility", _("Mobilité / transport")
    FAMILY = "family", _("Famille / garde d'enfants")
    FINANCES = "finances", _("Difficultés financières")
    LANGUAGE = "language", _("Langue / savoirs de base")
    ADMINISTRATIVE = "administrative", _("Démarches administratives / droits")
    JUSTICE = "justice", _("Justice")


# Health and justice barriers are stored in their sensitive section of the case file.
SENSITIVE_BARRIERS = {BarrierKind.HEALTH: Section.HEALTH, BarrierKind.JUSTICE: Section.JUSTICE}


def section_of(kind: str) -> str:
    return SENSITIVE_BARRIERS.get(kind, Section.GENERAL)


class Severity(models.TextChoices):
    LOW = "low", _("Faible")
    MEDIUM = "medium", _("Moyen")
    HIGH = "high", _("Fort")


class ScoreBand(models.TextChoices):
    LOW = "low", _("Faible")
    MEDIUM = "medium", _("Moyen")
    HIGH = "high", _("Élevé")


class Questionnaire(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def current_version(self) -> "QuestionnaireVersion | None":
        return self.versions.order_by("-number").first()


class QuestionnaireVersion(models.Model):
    """One published version of a questionnaire: immutable once loaded (a change is a new number)."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("définition"))
    checksum = models.CharField(max_length=64, editable=False)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("version de questionnaire")
        verbose_name_plural = _("versions de questionnaire")
        ordering = ["questionnaire", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "number"], name="questionnaire_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.slug} v{self.number}"

    @property
    def title(self) -> str:
        return q.text(self.definition["title"])

    @property
    def sections(self) -> list[dict]:
        return q.sections(self.definition)


class DiagnosisQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(episode__in=access.episodes(user))

    def completed(self):
        return self.filter(status=Diagnosis.Status.COMPLETED)


class Diagnosis(models.Model):
    """Answers to one questionnaire version, by the counselor with the person or by the person."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("En cours")
        COMPLETED = "completed", _("Terminé")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(SupportEpisode, on_delete=models.CASCADE, related_name="diagnoses")
    questionnaire_version = models.ForeignKey(
        QuestionnaireVersion,
        on_delete=models.PROTECT,
        related_name="diagnoses",
        verbose_name=_("questionnaire"),
    )
    by_person = models.BooleanField(_("autodiagnostic"), default=False)
    # Keyed by the question ids of `questionnaire_version`; values are codes, numbers or short texts.
    # Encrypted at rest: the answers of the sensitive sections (health, justice) are among them.
    answers = EncryptedJSONField(_("réponses"), default=dict, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    digital_autonomy = models.CharField(
        _("autonomie numérique constatée"), max_length=12, choices=DigitalAutonomy.choices, blank=True
    )
    digital_points = models.PositiveSmallIntegerField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DiagnosisQuerySet.as_manager()

    class Meta:
        verbose_name = _("diagnostic")
        verbose_name_plural = _("diagnostics")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["episode", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.questionnaire_version} ({self.get_status_display()})"

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED

    @property
    def definition(self) -> dict:
        return self.questionnaire_version.definition

    def visible_answers(self, can_see_sensitive: bool) -> dict:
        return q.visible_answers(self.definition, self.answers, can_see_sensitive)

    def rendered(self, can_see_sensitive: bool, language: str | None = None):
        return q.rendered_sections(self.definition, self.answers, can_see_sensitive, language)


class BarrierQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(diagnosis__episode__in=access.episodes(user)).filter(
            access.sensitive_filter(user, "diagnosis__episode")
        )

    def for_reader(self, can_see_sensitive: bool):
        """Within an episode already checked: hide sensitive rows from those who may not see them."""
        return self if can_see_sensitive else self.filter(section=Section.GENERAL)


class Barrier(models.Model):
    """A peripheral barrier to employment found by a diagnosis (R2)."""

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="barriers")
    kind = models.CharField(_("frein"), max_length=16, choices=BarrierKind.choices)
    severity = models.CharField(
        _("importance"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM
    )
    note = EncryptedTextField(_("précision"), blank=True)  # encrypted at rest (health, justice)
    # Derived from the kind (health, justice: sensitive); stored so querysets filter on it.
    section = models.CharField(
        max_length=10, choices=Section.choices, default=Section.GENERAL, editable=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BarrierQuerySet.as_manager()

    class Meta:
        verbose_name = _("frein périphérique")
        verbose_name_plural = _("freins périphériques")
        ordering = ["kind", "pk"]
        indexes = [models.Index(fields=["diagnosis", "section"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"

    def save(self, *args, **kwargs):
        self.section = section_of(self.kind)
        super().save(*args, **kwargs)


class Skill(models.Model):
    """A skill of the person, formal or informal, with its source and any third-party attestation (R7)."""

    class Source(models.TextChoices):
        WORK = "work", _("Expérience professionnelle")
        TRAINING = "training", _("Formation / diplôme")
        VOLUNTEERING = "volunteering", _("Bénévolat")
        FAMILY = "family", _("Vie familiale")
        HOBBY = "hobby", _("Loisirs")
        OTHER = "other", _("Autre")

    FORMAL_SOURCES = frozenset({Source.WORK, Source.TRAINING})

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="skills")
    diagnosis = models.ForeignKey(
        Diagnosis, on_delete=models.SET_NULL, null=True, blank=True, related_name="skills"
    )
    label = models.CharField(_("compétence"), max_length=200)
    source = models.CharField(_("origine"), max_length=16, choices=Source.choices)
    attested_by = models.CharField(_("attestée par (nom)"), max_length=150, blank=True)
    attested_organisation = models.CharField(_("organisme de l'attestant·e"), max_length=200, blank=True)
    attested_at = models.DateField(_("attestée le"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compétence")
        verbose_name_plural = _("compétences")
        ordering = ["label", "pk"]
        indexes = [models.Index(fields=["person", "source"])]

    def __str__(self) -> str:
        return self.label

    @property
    def is_formal(self) -> bool:
        return self.source in self.FORMAL_SOURCES

    @property
    def is_attested(self) -> bool:
        return bool(self.attested_by or self.attested_organisation)


class ActionPlan(models.Model):
    episode = models.OneToOneField(SupportEpisode, on_delete=models.CASCADE, related_name="action_plan")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plan d'action")
        verbose_name_plural = _("plans d'action")

    def __str__(self) -> str:
        return f"Plan {self.episode_id}"


class ActionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(plan__episode__in=access.episodes(user)).filter(
            access.sensitive_filter(user, "plan__episode")
        )

    def for_reader(self, can_see_sensitive: bool):
        return self if can_see_sensitive else self.filter(section=Section.GENERAL)

    def open(self):
        return self.filter(status__in=[Action.Status.TODO, Action.Status.IN_PROGRESS])


class Action(models.Model):
    """One objective of the plan: who does what by when, linked to a barrier or a career goal."""

    class Owner(models.TextChoices):
        PERSON = "person", _("La personne")
        COUNSELOR = "counselor", _("Le ou la conseiller·ère")

    class Status(models.TextChoices):
        TODO = "todo", _("À faire")
        IN_PROGRESS = "in_progress", _("En cours")
        DONE = "done", _("Fait")
        DROPPED = "dropped", _("Abandonné")

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="actions")
    goal = models.CharField(_("objectif"), max_length=300)
    owner = models.CharField(_("qui"), max_length=10, choices=Owner.choices, default=Owner.PERSON)
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=12, choices=Status.choices, default=Status.TODO)
    barrier = models.ForeignKey(
        Barrier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("frein"),
    )
    career_goal = models.CharField(_("objectif professionnel"), max_length=200, blank=True)
    # Written by the person from their space (/moi/): where they are, what blocks them.
    person_note = models.TextField(_("note de la personne"), blank=True)
    # Key of the suggestion it was accepted from (suggested_actions.json), so it is not offered twice.
    suggestion_key = models.CharField(max_length=60, blank=True)
    # An action about a health or justice barrier is as sensitive as the barrier.
    section = models.CharField(
        max_length=10, choices=Section.choices, default=Section.GENERAL, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = [models.F("due_on").asc(nulls_last=True), "pk"]
        indexes = [models.Index(fields=["plan", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["barrier", "suggestion_key"],
                condition=~Q(suggestion_key=""),
                name="action_suggestion_accepted_once",
            )
        ]

    def __str__(self) -> str:
        return self.goal

    @property
    def is_open(self) -> bool:
        return self.status in {self.Status.TODO, self.Status.IN_PROGRESS}

    def is_overdue(self, today=None) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < (today or timezone.localdate())


class OrientationRuleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class OrientationRule(models.Model):
    """One line of the orientation table, edited by administrators. Rules are tried by ascending
    priority; the first whose every condition holds gives the suggestion. An empty condition holds
    always, so a rule without conditions is the default."""

    priority = models.PositiveIntegerField(_("priorité (la plus petite d'abord)"))
    name = models.CharField(_("nom"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    min_barriers = models.PositiveSmallIntegerField(_("nombre minimal de freins"), null=True, blank=True)
    barrier_kinds = models.JSONField(
        _("l'un de ces freins est présent"),
        default=list,
        blank=True,
        help_text=_(
            "Liste de codes : health, housing, mobility, family, finances, language, administrative, justice."
        ),
    )
    digital_autonomy = models.CharField(
        _("autonomie numérique"), max_length=12, choices=DigitalAutonomy.choices, blank=True
    )
    score_band = models.CharField(
        _("tranche du score de profilage"), max_length=8, choices=ScoreBand.choices, blank=True
    )
    suggested_intensity = models.CharField(_("intensité suggérée"), max_length=12, choices=Intensity.choices)
    suggested_approach = models.CharField(_("approche suggérée"), max_length=12, choices=Approach.choices)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrientationRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("règle d'orientation")
        verbose_name_plural = _("règles d'orientation")
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return f"{self.priority}. {self.name}"

    def clean(self):
        from django.core.exceptions import ValidationError

        kinds = self.barrier_kinds
        if not isinstance(kinds, list) or any(k not in BarrierKind.values for k in kinds):
            raise ValidationError({"barrier_kinds": _("Codes de freins inconnus.")})

    def matches(self, facts: "OrientationFacts") -> bool:
        if self.min_barriers is not None and facts.barrier_count < self.min_barriers:
            return False
        if self.barrier_kinds and not set(self.barrier_kinds) & facts.barrier_kinds:
            return False
        if self.digital_autonomy and facts.digital_autonomy != self.digital_autonomy:
            return False
        return not (self.score_band and facts.score_band != self.score_band)


class OrientationFacts:
    """What the rules look at, gathered from a diagnosis, the person and the profiling score."""

    def __init__(self, *, barrier_kinds=(), barrier_count=0, digital_autonomy="", score_band=None):
        self.barrier_kinds = set(barrier_kinds)
        self.barrier_count = barrier_count
        self.digital_autonomy = digital_autonomy
        self.score_band = score_band

    def as_dict(self) -> dict:
        return {
            "barrier_kinds": sorted(self.barrier_kinds),
            "barrier_count": self.barrier_count,
            "digital_autonomy": self.digital_autonomy,
            "score_band": self.score_band,
        }


class Orientation(models.Model):
    """The counselor's decision of intensity and approach; history kept, newest first (R3)."""

    episode = models.ForeignKey(SupportEpisode, on_delete=models.CASCADE, related_name="orientations")
    diagnosis = models.ForeignKey(
        Diagnosis, on_delete=models.SET_NULL, null=True, blank=True, related_name="orientations"
    )
    rule = models.ForeignKey(
        OrientationRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    facts = models.JSONField(default=dict, blank=True)
    suggested_intensity = models.CharField(_("intensité suggérée"), max_length=12, choices=Intensity.choices)
    suggested_approach = models.CharField(_("approche suggérée"), max_length=12, choices=Approach.choices)
    chosen_intensity = models.CharField(_("intensité retenue"), max_length=12, choices=Intensity.choices)
    chosen_approach = models.CharField(_("approche retenue"), max_length=12, choices=Approach.choices)
    reason = models.TextField(_("motif"), blank=True)
    services = models.JSONField(_("services proposés"), default=list, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("décidée le"), default=timezone.now)

    class Meta:
        verbose_name = _("orientation")
        verbose_name_plural = _("orientations")
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["episode", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.get_chosen_intensity_display()} / {self.get_chosen_approach_display()}"

    @property
    def follows_suggestion(self) -> bool:
        return (self.chosen_intensity, self.chosen_approach) == (
            self.suggested_intensity,
            self.suggested_approach,
        )


class SelfDiagnosisInvitation(models.Model):
    """A one-time signed link that lets the person fill a self-diagnosis without an account."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(
        SupportEpisode, on_delete=models.CASCADE, related_name="self_diagnosis_invitations"
    )
    diagnosis = models.OneToOneField(Diagnosis, on_delete=models.CASCADE, related_name="invitation")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lien d'autodiagnostic")
        verbose_name_plural = _("liens d'autodiagnostic")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.episode_id} ({self.created_at:%Y-%m-%d})"

    def is_usable(self, now=None) -> bool:
        return self.used_at is None and (now or timezone.now()) < self.expires_at
