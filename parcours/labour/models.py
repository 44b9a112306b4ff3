"""Occupation referentials (ROME 4.0, ESCO), the fitted job-title normalisers, and the career
project of a support episode (target occupations, work placements).

Reference rows (Occupation, JobTitle, RomeItem, links, EscoOccupation) are written only by the
importers (parcours/labour/importers.py); career-project rows only by parcours/labour/actions.py.
Rows that disappear from a new referential version are deactivated, never deleted: career projects
keep pointing at them.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Taxonomy(models.TextChoices):
    ROME = "rome", "ROME"
    ESCO = "esco", "ESCO"


class ReferentialVersion(models.Model):
    """One import of a referential: which version, when, how many rows, how long it took."""

    taxonomy = models.CharField(max_length=8, choices=Taxonomy.choices)
    version = models.CharField(_("version"), max_length=40)
    language = models.CharField(_("langue"), max_length=8, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    release = models.JSONField(_("note de publication"), default=dict, blank=True)
    counts = models.JSONField(_("effectifs"), default=dict, blank=True)
    skipped_rows = models.PositiveIntegerField(_("lignes ignorées"), default=0)
    duration_seconds = models.FloatField(_("durée (s)"), default=0)
    imported_at = models.DateTimeField(_("importé le"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("version de référentiel")
        verbose_name_plural = _("versions de référentiel")
        indexes = [models.Index(fields=["taxonomy", "imported_at"])]

    def __str__(self) -> str:
        lang = f" ({self.language})" if self.language else ""
        return f"{self.get_taxonomy_display()} {self.version}{lang}"


class Domain(models.Model):
    """Tree of ROME fiches: grands domaines (``A``) and domaines professionnels (``A11``)."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    label = models.CharField(_("libellé"), max_length=300)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("domaine professionnel")
        verbose_name_plural = _("domaines professionnels")

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class OccupationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Occupation(models.Model):
    """A ROME fiche (métier), e.g. ``J1501`` Aide-soignant / Aide-soignante."""

    rome_code = models.CharField(_("code ROME"), max_length=5, unique=True)
    code_ogr = models.CharField(_("code OGR"), max_length=12, blank=True)
    label = models.CharField(_("intitulé"), max_length=300)
    definition = models.TextField(_("définition"), blank=True)
    access = models.TextField(_("accès au métier"), blank=True)
    domain = models.ForeignKey(
        Domain, on_delete=models.SET_NULL, null=True, blank=True, related_name="occupations"
    )
    parent_code = models.CharField(_("fiche parente"), max_length=5, blank=True)
    is_regulated = models.BooleanField(_("métier réglementé"), null=True)
    is_executive = models.BooleanField(_("emploi cadre"), null=True)
    esco_uri = models.URLField(_("URI ESCO"), max_length=300, blank=True)
    referential = models.ForeignKey(
        ReferentialVersion, on_delete=models.PROTECT, related_name="occupations", verbose_name=_("version")
    )
    is_active = models.BooleanField(_("en vigueur"), default=True)

    objects = OccupationQuerySet.as_manager()

    class Meta:
        ordering = ["rome_code"]
        verbose_name = _("métier (fiche ROME)")
        verbose_name_plural = _("métiers (fiches ROME)")

    def __str__(self) -> str:
        return f"{self.rome_code} {self.label}"


class JobTitle(models.Model):
    """A ROME appellation: one of the job titles of a fiche."""

    code_ogr = models.CharField(_("code OGR"), max_length=12, unique=True)
    label = models.CharField(_("appellation"), max_length=300)
    short_label = models.CharField(_("appellation courte"), max_length=300, blank=True)
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="job_titles")
    is_main = models.BooleanField(_("appellation principale"), default=False)
    is_rare = models.BooleanField(_("peu usitée"), default=False)
    is_active = models.BooleanField(_("en vigueur"), default=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("appellation")
        verbose_name_plural = _("appellations")

    def __str__(self) -> str:
        return self.label


class RomeItem(models.Model):
    """A skill of the ROME (savoir-faire, savoir-être professionnel), a knowledge item (savoir) or a
    work context. Named RomeItem, not Skill: a person's own skills are diagnosis.Skill."""

    class Kind(models.TextChoices):
        SAVOIR_FAIRE = "savoir_faire", _("Savoir-faire")
        SAVOIR_ETRE = "savoir_etre", _("Savoir-être professionnel")
        SAVOIR = "savoir", _("Savoir")
        WORK_CONTEXT = "work_context", _("Contexte de travail")

    SKILL_KINDS = frozenset({Kind.SAVOIR_FAIRE, Kind.SAVOIR_ETRE, Kind.SAVOIR})

    code_ogr = models.CharField(_("code OGR"), max_length=12, unique=True)
    label = models.CharField(_("libellé"), max_length=500)
    kind = models.CharField(_("nature"), max_length=16, choices=Kind.choices)
    category = models.CharField(_("catégorie"), max_length=200, blank=True)
    subcategory = models.CharField(_("sous-catégorie"), max_length=200, blank=True)
    is_active = models.BooleanField(_("en vigueur"), default=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("compétence ou savoir ROME")
        verbose_name_plural = _("compétences et savoirs ROME")

    def __str__(self) -> str:
        return self.label


class OccupationSkill(models.Model):
    """Occupation -> item link; ``core_label`` is the publisher's ``coeur_metier`` value (empty when
    the item is specific, i.e. not required by every job of the fiche)."""

    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="skill_links")
    item = models.ForeignKey(RomeItem, on_delete=models.CASCADE, related_name="occupation_links")
    core_label = models.CharField(_("cœur de métier"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("compétence d'un métier")
        verbose_name_plural = _("compétences des métiers")
        constraints = [models.UniqueConstraint(fields=["occupation", "item"], name="occupation_skill_unique")]
        indexes = [models.Index(fields=["item", "occupation"])]

    def __str__(self) -> str:
        return f"{self.occupation_id} → {self.item_id}"

    @property
    def is_core(self) -> bool:
        return bool(self.core_label)


class MobilityLink(models.Model):
    """A mobility suggestion between two fiches (``unix_rubrique_mobilite``). ROME 4.0 no longer
    says whether a link is "proche" or "évolution": every imported link has kind MOBILITY."""

    class Kind(models.TextChoices):
        MOBILITY = "mobility", _("Mobilité")
        CLOSE = "close", _("Métier proche")
        EVOLUTION = "evolution", _("Évolution")

    source = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="mobility_out")
    target = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="mobility_in")
    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices, default=Kind.MOBILITY)
    rank = models.PositiveSmallIntegerField(_("rang"), default=0)

    class Meta:
        ordering = ["source", "rank", "pk"]
        verbose_name = _("mobilité")
        verbose_name_plural = _("mobilités")
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="mobility_unique")]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


class LabelledConcept(models.Model):
    """An ESCO concept whose labels are stored per language ({"fr": "...", "en": "..."})."""

    class Meta:
        abstract = True

    def label(self, language: str = "fr") -> str:
        """The label in ``language``, else the first one stored, else the URI."""
        return self.labels.get(language) or next(iter(self.labels.values()), self.uri)


class EscoOccupation(LabelledConcept):
    """An ESCO occupation; labels are stored per language: {"fr": "...", "en": "..."}."""

    uri = models.URLField(_("URI"), max_length=300, unique=True)
    code = models.CharField(_("code ESCO"), max_length=40, blank=True)
    isco_group = models.CharField(_("groupe CITP/ISCO"), max_length=8, blank=True)
    labels = models.JSONField(_("intitulés"), default=dict)
    alt_labels = models.JSONField(_("intitulés alternatifs"), default=dict, blank=True)
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)
    referential = models.ForeignKey(ReferentialVersion, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("en vigueur"), default=True)

    class Meta:
        ordering = ["uri"]
        verbose_name = _("métier ESCO")
        verbose_name_plural = _("métiers ESCO")
        indexes = [models.Index(fields=["isco_group"])]

    def __str__(self) -> str:
        return self.label()


class EscoSkill(LabelledConcept):
    """An ESCO skill or knowledge concept (``KnowledgeSkillCompetence``) or skill group
    (``SkillGroup``); labels per language, as for occupations."""

    class ConceptType(models.TextChoices):
        SKILL = "KnowledgeSkillCompetence", _("compétence ou savoir")
        GROUP = "SkillGroup", _("groupe de compétences")

    uri = models.URLField(_("URI"), max_length=300, unique=True)
    concept_type = models.CharField(_("type"), max_length=30, choices=ConceptType.choices)
    skill_type = models.CharField(_("nature"), max_length=30, blank=True)  # skill/competence, knowledge
    reuse_level = models.CharField(_("transversalité"), max_length=30, blank=True)
    code = models.CharField(_("code ESCO"), max_length=40, blank=True)
    labels = models.JSONField(_("intitulés"), default=dict)
    alt_labels = models.JSONField(_("intitulés alternatifs"), default=dict, blank=True)
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)
    referential = models.ForeignKey(ReferentialVersion, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("en vigueur"), default=True)

    class Meta:
        ordering = ["uri"]
        verbose_name = _("compétence ESCO")
        verbose_name_plural = _("compétences ESCO")

    def __str__(self) -> str:
        return self.label()


class IscoGroup(LabelledConcept):
    """An ISCO-08 group as the ESCO export names it (``ISCOGroups_<lang>.csv``): its labels give
    ESCO occupations, which sit under it in the hierarchy, a code document for the job-title
    normaliser (parcours.labour.normalising.esco_training_data)."""

    uri = models.URLField(_("URI"), max_length=300, unique=True)
    code = models.CharField(_("code CITP/ISCO"), max_length=8, blank=True)
    labels = models.JSONField(_("intitulés"), default=dict)
    referential = models.ForeignKey(ReferentialVersion, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("en vigueur"), default=True)

    class Meta:
        ordering = ["code", "uri"]
        verbose_name = _("groupe CITP/ISCO")
        verbose_name_plural = _("groupes CITP/ISCO")

    def __str__(self) -> str:
        return f"{self.code} {self.label()}"


class EscoBroader(models.Model):
    """One link of an ESCO hierarchy: ``uri`` sits under ``broader_uri``. URIs, not foreign keys:
    ISCO groups are stored apart (IscoGroup) and a hierarchy file may name concepts of another export."""

    class Pillar(models.TextChoices):
        OCCUPATION = "occupation", _("métiers")
        SKILL = "skill", _("compétences")

    pillar = models.CharField(_("pilier"), max_length=12, choices=Pillar.choices)
    uri = models.URLField(_("concept"), max_length=300)
    broader_uri = models.URLField(_("concept plus large"), max_length=300)

    class Meta:
        verbose_name = _("lien de hiérarchie ESCO")
        verbose_name_plural = _("liens de hiérarchie ESCO")
        constraints = [models.UniqueConstraint(fields=["uri", "broader_uri"], name="esco_broader_unique")]
        indexes = [models.Index(fields=["broader_uri"])]

    def __str__(self) -> str:
        return f"{self.uri} ⊂ {self.broader_uri}"


class EscoOccupationSkill(models.Model):
    """An ESCO occupation needs a skill, as essential or optional (occupationSkillRelations.csv)."""

    class Relation(models.TextChoices):
        ESSENTIAL = "essential", _("essentielle")
        OPTIONAL = "optional", _("optionnelle")

    occupation = models.ForeignKey(EscoOccupation, on_delete=models.CASCADE, related_name="skill_links")
    skill = models.ForeignKey(EscoSkill, on_delete=models.CASCADE, related_name="occupation_links")
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)

    class Meta:
        verbose_name = _("compétence d'un métier ESCO")
        verbose_name_plural = _("compétences des métiers ESCO")
        constraints = [
            models.UniqueConstraint(fields=["occupation", "skill"], name="esco_occupation_skill_unique")
        ]

    def __str__(self) -> str:
        return f"{self.occupation_id} → {self.skill_id} ({self.relation})"


class RomeEscoMatch(models.Model):
    """One link of the ROME ↔ ESCO crosswalk: a ROME fiche, or one of its job titles, to an ESCO
    occupation, with the SKOS relation the crosswalk gives (``Occupation.esco_uri`` holds the
    one link chosen per fiche, parcours.stats.labour.crosswalk.choose_per_fiche)."""

    class Relation(models.TextChoices):
        EXACT = "exactMatch", _("équivalent")
        CLOSE = "closeMatch", _("proche")
        NARROW = "narrowMatch", _("plus spécifique")
        BROAD = "broadMatch", _("plus général")
        RELATED = "relatedMatch", _("apparenté")
        UNSPECIFIED = "", _("non précisée")

    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="esco_matches")
    job_title = models.ForeignKey(
        JobTitle, on_delete=models.CASCADE, null=True, blank=True, related_name="esco_matches"
    )
    esco_occupation = models.ForeignKey(EscoOccupation, on_delete=models.CASCADE, related_name="rome_matches")
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices, blank=True)

    class Meta:
        ordering = ["occupation", "job_title", "esco_occupation"]
        verbose_name = _("correspondance ROME ↔ ESCO")
        verbose_name_plural = _("correspondances ROME ↔ ESCO")
        constraints = [
            models.UniqueConstraint(
                fields=["occupation", "job_title", "esco_occupation"],
                name="rome_esco_match_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.occupation_id} → {self.esco_occupation_id} ({self.relation or '?'})"


#: Score from which the job-title normaliser's best occupation is trusted on its own: a typed title
#: resolves to it (with a lead, parcours.labour.normalising) and an offer's occupation inferred from
#: its title is not flagged as uncertain (parcours.market).
RESOLVE_SCORE = 0.5


class NormaliserArtefact(models.Model):
    """A fitted JobTitleNormaliser (or skill matcher), saved with joblib under
    ``settings.DATA_DIR / "artefacts"``; ``path`` is relative to that folder. Fitted once after an
    import, loaded once per process (parcours.labour.normalising.load_artefact)."""

    class Kind(models.TextChoices):
        JOB_TITLES = "job_titles", _("Appellations → métiers")
        SKILLS = "skills", _("Compétences → compétences du référentiel")

    taxonomy = models.CharField(max_length=8, choices=Taxonomy.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.JOB_TITLES)
    language = models.CharField(max_length=8, blank=True)
    referential = models.ForeignKey(ReferentialVersion, on_delete=models.CASCADE, related_name="artefacts")
    path = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    n_labels = models.PositiveIntegerField(default=0)
    fit_seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("modèle de normalisation")
        verbose_name_plural = _("modèles de normalisation")
        indexes = [models.Index(fields=["taxonomy", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.taxonomy}/{self.kind} {self.referential_id} ({self.created_at:%Y-%m-%d})"


# --------------------------------------------------------------------------- career project


class CareerProject(models.Model):
    """The career project of a support episode (R7): target occupations, work placements, and the
    skills the person declared on this page (used when the diagnosis app is not installed)."""

    class Status(models.TextChoices):
        TO_EXPLORE = "to_explore", _("À explorer")
        CONFIRMED = "confirmed", _("Confirmé")
        REVISED = "revised", _("Révisé")
        DISCOVERED = "discovered", _("Découvert")

    DECIDED = frozenset({Status.CONFIRMED, Status.REVISED, Status.DISCOVERED})

    episode = models.OneToOneField(
        "cases.SupportEpisode", on_delete=models.CASCADE, related_name="career_project"
    )
    declared_skills = models.JSONField(_("compétences déclarées"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("projet professionnel")
        verbose_name_plural = _("projets professionnels")

    def __str__(self) -> str:
        return f"projet {self.pk} (accompagnement {self.episode_id})"


class TargetOccupation(models.Model):
    """An occupation considered in a career project, its status and the evidence for it."""

    project = models.ForeignKey(CareerProject, on_delete=models.CASCADE, related_name="targets")
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("statut"),
        max_length=12,
        choices=CareerProject.Status.choices,
        default=CareerProject.Status.TO_EXPLORE,
    )
    evidence = models.TextField(_("éléments à l'appui de la décision"), blank=True)
    evidence_placements = models.ManyToManyField(
        "WorkPlacement", blank=True, related_name="evidence_for", verbose_name=_("immersions à l'appui")
    )
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("métier visé")
        verbose_name_plural = _("métiers visés")
        constraints = [models.UniqueConstraint(fields=["project", "occupation"], name="target_unique")]

    def __str__(self) -> str:
        return f"{self.occupation_id} ({self.status})"


class WorkPlacement(models.Model):
    """A work placement (PMSMP, immersion) to confirm or discover an occupation, and its end
    assessment by the host and by the person (scores 1 to 5 and comments)."""

    class Objective(models.TextChoices):
        CONFIRM = "confirm", _("Confirmer un projet")
        DISCOVER = "discover", _("Découvrir un métier")

    project = models.ForeignKey(CareerProject, on_delete=models.CASCADE, related_name="placements")
    objective = models.CharField(_("objectif"), max_length=10, choices=Objective.choices)
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", verbose_name=_("métier")
    )
    host_name = models.CharField(_("structure d'accueil"), max_length=200)
    host_establishment = models.CharField(_("établissement (adresse ou SIRET)"), max_length=300, blank=True)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    host_score = models.PositiveSmallIntegerField(
        _("appréciation de la structure (1 à 5)"), null=True, blank=True
    )
    host_comment = models.TextField(_("commentaire de la structure"), blank=True)
    person_score = models.PositiveSmallIntegerField(
        _("appréciation de la personne (1 à 5)"), null=True, blank=True
    )
    person_comment = models.TextField(_("commentaire de la personne"), blank=True)
    assessed_at = models.DateTimeField(_("bilan fait le"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("immersion professionnelle")
        verbose_name_plural = _("immersions professionnelles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="placement_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.host_name} {self.starts_on:%Y-%m-%d}"

    @property
    def is_assessed(self) -> bool:
        return self.assessed_at is not None
