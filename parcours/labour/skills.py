"""A person's skills against the ROME: free-text skills -> ROME items, required skills of an
occupation covered or missing, occupations suggested by the skills, neighbouring occupations.

A person's skills come from the diagnosis app (``parcours.diagnosis.Skill``: formal and informal,
with their source) when it is installed, plus the skills typed on the career project page.
Each label is matched to ROME items by the stored ``skills`` artefact (never fitted in a request);
a match counts when its score is at least :data:`MIN_SCORE` (the :data:`TOP_PER_SKILL` best).
Every function runs a bounded number of queries whatever the size of the referential.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from parcours.diagnosis.models import Skill
from parcours.labour.models import (
    CareerProject,
    EscoOccupationSkill,
    EscoSkill,
    MobilityLink,
    NormaliserArtefact,
    Occupation,
    OccupationSkill,
    RomeEscoMatch,
    RomeItem,
    Taxonomy,
)
from parcours.labour.normalising import NoReferential, get_normaliser
from parcours.stats.labour.skills import match_skills

#: Score from which a ROME item is taken as held (checked by eye on the official set: at 0.6
#: "permis B" -> "Permis de conduire catégorie B", "accueillir des clients" -> "Accueillir les
#: clients..." pass; loose neighbours such as "Permis côtier" do not).
MIN_SCORE = 0.6
#: Score from which an ESCO skill is taken as held. The ESCO matcher blends the lexical score with
#: the semantic one (docs/labour.md), so its scores run lower than the lexical ROME matcher's. On
#: the 40 informal phrases of tests/stats/data/informal_skills_esco_fr.tsv (full French ESCO),
#: accepted first answers score 0.38-1.00 (median 0.62), rejected ones 0.44-0.64 (median 0.55):
#: at 0.5, 83 % of the accepted and 73 % of the rejected first answers are kept. The score
#: separates them poorly, so every match is shown with its score for the counselor to judge.
ESCO_MIN_SCORE = 0.5
TOP_PER_SKILL = 3
MAX_PERSON_SKILLS = 200

DECLARED = "declared"
SOURCE_LABELS = {DECLARED: _("Déclarée sur le projet professionnel")}
#: Skills learnt outside work and training (volunteering, family life, hobbies, other): they count
#: toward occupations like the others and are marked "informelle" wherever they are shown as
#: evidence. Skills typed on the career project page have no known origin and are not marked.
INFORMAL_SOURCES = frozenset(Skill.Source) - Skill.FORMAL_SOURCES


@dataclass
class PersonSkill:
    label: str
    source: str
    source_label: str
    matches: list = field(default_factory=list)  # [(item code, item label, score)]
    esco_matches: list = field(default_factory=list)  # [(ESCO skill URI, label, score)]

    @property
    def is_informal(self) -> bool:
        return self.source in INFORMAL_SOURCES


@dataclass
class SkillProfile:
    """The person's skills and the ROME items they were matched to."""

    skills: list[PersonSkill]
    item_codes: set[str]
    matcher_available: bool
    esco_uris: set[str] = field(default_factory=set)
    esco_available: bool = False

    def evidence(self, item_codes) -> list[PersonSkill]:
        """The person's skills matched to any of ``item_codes``, each once, in the profile's order."""
        wanted = set(item_codes)
        return [s for s in self.skills if any(code in wanted for code, _label, _score in s.matches)]

    def esco_evidence(self, uri: str) -> list[PersonSkill]:
        """The person's skills matched to the ESCO skill ``uri``, in the profile's order."""
        return [s for s in self.skills if any(u == uri for u, _label, _score in s.esco_matches)]


def person_skill_labels(project: CareerProject) -> list[tuple[str, str, str]]:
    """(label, source, source label) of the person's skills: diagnosis + declared."""
    sources = dict(Skill.Source.choices)
    rows = Skill.objects.filter(person_id=project.episode.person_id).values_list("label", "source")
    out = [(label, source, str(sources.get(source, source))) for label, source in rows[:MAX_PERSON_SKILLS]]
    out += [(label, DECLARED, str(SOURCE_LABELS[DECLARED])) for label in project.declared_skills]
    return out


def skill_profile(project: CareerProject) -> SkillProfile:
    labels = person_skill_labels(project)
    skills = [PersonSkill(label, source, source_label) for label, source, source_label in labels]
    try:
        matcher, _artefact = get_normaliser("rome", kind=NormaliserArtefact.Kind.SKILLS)
    except NoReferential:
        return SkillProfile(skills, set(), matcher_available=False)
    codes: set[str] = set()
    for skill in skills:
        # the core splits "accueil, gestion des stocks" into fragments and keeps each item once
        found = match_skills([skill.label], matcher, top=TOP_PER_SKILL, min_score=MIN_SCORE)
        skill.matches = [(m.item_code, m.label, m.score) for m in found]
        codes.update(m.item_code for m in found)
    profile = SkillProfile(skills, codes, matcher_available=True)
    _match_esco(profile)
    return profile


def _match_esco(profile: SkillProfile) -> None:
    """Match the profile's skills to ESCO skills when an ESCO skills artefact is stored (an ESCO
    export with its skills file was imported); otherwise leave the ESCO side empty."""
    try:
        matcher, _artefact = get_normaliser(Taxonomy.ESCO, kind=NormaliserArtefact.Kind.SKILLS)
    except NoReferential:
        return
    profile.esco_available = True
    for skill in profile.skills:
        found = match_skills([skill.label], matcher, top=TOP_PER_SKILL, min_score=ESCO_MIN_SCORE)
        skill.esco_matches = [(m.item_code, m.label, m.score) for m in found]
        profile.esco_uris.update(m.item_code for m in found)


@dataclass
class EscoRequirement:
    """An ESCO skill that an ESCO occupation linked to the fiche needs, held or not by the person."""

    uri: str
    label: str
    is_essential: bool
    is_held: bool
    evidence: list[PersonSkill] = field(default_factory=list)


@dataclass
class EscoGaps:
    """The ESCO skills of the ESCO occupation chosen for a ROME fiche, against the person's."""

    esco_uri: str
    esco_label: str
    skills: list[EscoRequirement]

    @property
    def essential(self) -> list[EscoRequirement]:
        return [s for s in self.skills if s.is_essential]

    @property
    def held_essential(self) -> int:
        return sum(s.is_held for s in self.essential)

    @property
    def informal_evidence(self) -> list[PersonSkill]:
        seen: dict[str, PersonSkill] = {}
        for requirement in self.skills:
            for skill in requirement.evidence:
                if skill.is_informal:
                    seen.setdefault(skill.label, skill)
        return list(seen.values())


def esco_gaps(
    occupation: Occupation, profile: SkillProfile, *, language: str | None = None
) -> EscoGaps | None:
    """The ESCO skills (essential first) of the ESCO occupation that stands for ``occupation``
    (``Occupation.esco_uri``, else its strongest crosswalk link), each marked held when one of the
    person's skills was matched to it, with those skills as evidence (informal ones marked where
    shown). None without a crosswalk link or without ESCO skills for it. Two queries."""
    match = (
        RomeEscoMatch.objects.filter(occupation=occupation)
        .select_related("esco_occupation")
        .order_by("job_title_id", "esco_occupation__uri")
    )
    links = list(match)
    if not links:
        return None
    order = [value for value, _label in RomeEscoMatch.Relation.choices]
    links.sort(
        key=lambda m: (
            m.esco_occupation.uri != occupation.esco_uri,
            m.job_title_id is not None,
            order.index(m.relation) if m.relation in order else len(order),
        )
    )
    esco = links[0].esco_occupation
    language = language or (get_language() or "fr")[:2]
    rows = (
        EscoOccupationSkill.objects.filter(occupation=esco, skill__concept_type=EscoSkill.ConceptType.SKILL)
        .select_related("skill")
        .order_by("relation", "skill__uri")
    )
    skills = [
        EscoRequirement(
            uri=row.skill.uri,
            label=row.skill.label(language),
            is_essential=row.relation == EscoOccupationSkill.Relation.ESSENTIAL,
            is_held=row.skill.uri in profile.esco_uris,
            evidence=profile.esco_evidence(row.skill.uri),
        )
        for row in rows
    ]
    if not skills:
        return None
    skills.sort(key=lambda s: (not s.is_essential, not s.is_held, s.label))
    return EscoGaps(esco.uri, esco.label(language), skills)


@dataclass
class RequiredSkill:
    code: str
    label: str
    kind_label: str
    is_core: bool
    is_held: bool
    evidence: list[PersonSkill] = field(default_factory=list)  # the person's skills behind is_held


@dataclass
class Gaps:
    """Required skills of an occupation, split core / specific, and what the person lacks."""

    core: list[RequiredSkill]
    specific: list[RequiredSkill]

    @property
    def required(self) -> list[RequiredSkill]:
        return self.core + self.specific

    @property
    def missing_core(self) -> list[RequiredSkill]:
        return [s for s in self.core if not s.is_held]

    @staticmethod
    def _share(skills: list[RequiredSkill]) -> float | None:
        return sum(s.is_held for s in skills) / len(skills) if skills else None

    @property
    def core_share(self) -> float | None:
        return self._share(self.core)

    @property
    def core_percent(self) -> int | None:
        share = self.core_share
        return None if share is None else round(100 * share)

    @property
    def held_core(self) -> int:
        return sum(s.is_held for s in self.core)

    @property
    def held_all(self) -> int:
        return sum(s.is_held for s in self.required)

    @property
    def share(self) -> float | None:
        return self._share(self.required)


def occupation_gaps(
    occupation: Occupation, held_codes: set[str], profile: SkillProfile | None = None
) -> Gaps:
    """One query: the occupation's skills and knowledge, each marked held or missing; with the
    person's ``profile``, each held one carries the person's skills it was matched from."""
    links = (
        OccupationSkill.objects.filter(occupation=occupation, item__kind__in=RomeItem.SKILL_KINDS)
        .select_related("item")
        .order_by("item__kind", "item__label")
    )
    core, specific = [], []
    for link in links:
        skill = RequiredSkill(
            code=link.item.code_ogr,
            label=link.item.label,
            kind_label=link.item.get_kind_display(),
            is_core=link.is_core,
            is_held=link.item.code_ogr in held_codes,
            evidence=profile.evidence([link.item.code_ogr]) if profile else [],
        )
        (core if skill.is_core else specific).append(skill)
    return Gaps(core, specific)


@dataclass
class Suggestion:
    """``held`` / ``required`` count core items, or all items when the fiche has no core item
    (the rule of parcours.stats.labour.skills.occupation_coverage)."""

    occupation: Occupation
    held: int
    required: int
    evidence: list[PersonSkill] = field(default_factory=list)  # the person's skills that count

    @property
    def share(self) -> float:
        return self.held / self.required if self.required else 0.0

    @property
    def informal_evidence(self) -> list[PersonSkill]:
        return [s for s in self.evidence if s.is_informal]


def suggest_occupations(
    held_codes: set[str], *, limit: int = 10, candidates: int = 60, profile: SkillProfile | None = None
) -> list[Suggestion]:
    """Occupations ranked by the share of their required skills the person holds (two queries);
    with the person's ``profile``, each suggestion carries the person's skills that count toward
    it, informal ones included and marked (a third query)."""
    if not held_codes:
        return []
    skill_links = OccupationSkill.objects.filter(
        item__kind__in=RomeItem.SKILL_KINDS, occupation__is_active=True
    )
    core = ~Q(core_label="")
    best = (
        skill_links.filter(item__code_ogr__in=held_codes)
        .values("occupation_id")
        .annotate(held=Count("pk"), held_core=Count("pk", filter=core))
        .order_by("-held", "occupation_id")[:candidates]
    )
    held = {row["occupation_id"]: (row["held"], row["held_core"]) for row in best}
    skill = Q(skill_links__item__kind__in=RomeItem.SKILL_KINDS)
    occupations = Occupation.objects.filter(pk__in=held).annotate(
        required=Count("skill_links", filter=skill),
        required_core=Count("skill_links", filter=skill & ~Q(skill_links__core_label="")),
    )
    out = []
    for o in occupations:
        n_held, n_held_core = held[o.pk]
        if o.required_core:
            out.append(Suggestion(o, n_held_core, o.required_core))
        else:
            out.append(Suggestion(o, n_held, o.required))
    out.sort(key=lambda s: (-s.share, -s.held, s.occupation.rome_code))
    out = out[:limit]
    if profile is not None and out:
        items: dict[int, set[str]] = {}
        for occupation_id, code in skill_links.filter(
            occupation_id__in=[s.occupation.pk for s in out], item__code_ogr__in=held_codes
        ).values_list("occupation_id", "item__code_ogr"):
            items.setdefault(occupation_id, set()).add(code)
        for suggestion in out:
            suggestion.evidence = profile.evidence(items.get(suggestion.occupation.pk, ()))
    return out


@dataclass
class EscoSuggestion:
    """An ESCO occupation some of whose skills the person holds (matched from the person's skills),
    with the ROME fiches the crosswalk links to it. ``held`` / ``required`` count essential skills,
    or all skills when the occupation has no essential one (the ROME rule for core items)."""

    esco_uri: str
    esco_label: str
    held: int
    required: int
    evidence: list[PersonSkill] = field(default_factory=list)
    occupations: list[Occupation] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.held / self.required if self.required else 0.0

    @property
    def informal_evidence(self) -> list[PersonSkill]:
        return [s for s in self.evidence if s.is_informal]


def suggest_from_esco(
    profile: SkillProfile, *, limit: int = 10, language: str | None = None
) -> list[EscoSuggestion]:
    """ESCO occupations ranked by the share of their essential skills the person holds, each with
    the person's skills behind it (informal ones included, marked where shown) and its ROME fiches
    through the crosswalk; only occupations with at least one held essential skill, or one held
    skill when they have no essential one. Three queries whatever the size of ESCO."""
    if not profile.esco_uris:
        return []
    language = language or (get_language() or "fr")[:2]
    essential = EscoOccupationSkill.Relation.ESSENTIAL
    links = EscoOccupationSkill.objects.filter(skill__concept_type=EscoSkill.ConceptType.SKILL)
    held: dict[int, dict[str, str]] = {}
    for occupation_id, uri, relation in links.filter(skill__uri__in=profile.esco_uris).values_list(
        "occupation_id", "skill__uri", "relation"
    ):
        held.setdefault(occupation_id, {})[uri] = relation
    totals = (
        links.filter(occupation_id__in=held)
        .values("occupation_id", "occupation__uri", "occupation__labels")
        .annotate(total=Count("pk"), essential=Count("pk", filter=Q(relation=essential)))
    )
    out = []
    for row in totals:
        skills = held[row["occupation_id"]]
        if row["essential"]:
            n_held, required = sum(r == essential for r in skills.values()), row["essential"]
        else:
            n_held, required = len(skills), row["total"]
        if not n_held:
            continue
        labels = row["occupation__labels"]
        evidence = [s for s in profile.skills if any(u in skills for u, _l, _s in s.esco_matches)]
        out.append(
            EscoSuggestion(
                esco_uri=row["occupation__uri"],
                esco_label=labels.get(language) or next(iter(labels.values()), row["occupation__uri"]),
                held=n_held,
                required=required,
                evidence=evidence,
            )
        )
    out.sort(key=lambda s: (-s.share, -s.held, s.esco_label))
    out = out[:limit]
    by_uri = {s.esco_uri: s for s in out}
    matches = (
        RomeEscoMatch.objects.filter(esco_occupation__uri__in=by_uri, occupation__is_active=True)
        .select_related("occupation", "esco_occupation")
        .order_by("occupation__rome_code", "pk")
    )
    for match in matches:
        suggestion = by_uri[match.esco_occupation.uri]
        if all(o.pk != match.occupation_id for o in suggestion.occupations):
            suggestion.occupations.append(match.occupation)
    return out


def neighbours(occupation: Occupation, *, limit: int = 20) -> list[MobilityLink]:
    """Mobility links from the occupation (ROME rubrique mobilité), target loaded (one query)."""
    return list(
        MobilityLink.objects.filter(source=occupation, target__is_active=True)
        .select_related("target")
        .order_by("rank", "target__rome_code")[:limit]
    )
