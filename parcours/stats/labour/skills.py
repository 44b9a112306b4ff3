"""A person's skills (free text, formal or informal) -> ROME items -> occupations.

Three pure steps over a parsed referential (:class:`~parcours.stats.labour.rome.RomeReferential`):

1. :func:`match_skills` splits free text ("bénévolat restos du coeur: accueil, gestion des
   stocks", "garde d'enfants", "permis B") into fragments and maps each to ROME items
   (savoir-faire, savoir-être, savoirs) with a :class:`~parcours.stats.labour.normalise.
   JobTitleNormaliser` fitted on item labels (:func:`fit_skill_normaliser`), whose synonym table
   also maps nouns to the verbs the items use ("gestion" -> "gérer", "accueil" -> "accueillir").
2. :func:`occupation_coverage` scores every occupation by the share of its *core* items
   (``coeur_metier`` = Principale or Émergente in ``unix_coherence_item``; all its items when it
   has no core item) that the person has, and lists the missing ones.
3. :func:`neighbours` lists the occupations the ROME mobility links point to, in the
   publisher's order (ROME 4.0 no longer types them as "proche" or "évolution").

:func:`suggest_occupations` chains the three.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from parcours.stats.errors import BadInputError
from parcours.stats.labour.normalise import JobTitleNormaliser
from parcours.stats.labour.rome import Item, ItemLink, MobilityLink, RomeReferential

#: Item kinds that are skills or knowledge (work contexts are left out).
SKILL_KINDS = ("savoir_faire", "savoir_etre", "savoir")

#: Nouns people write -> the verbs ROME items start with; applied to items and queries alike.
SKILL_SYNONYMS: dict[str, str] = {
    "gestion": "gerer",
    "accueil": "accueillir",
    "garde": "garder",
    "preparation": "preparer",
    "nettoyage": "nettoyer",
    "vente": "vendre",
    "conduite": "conduire",
    "saisie": "saisir",
    "organisation": "organiser",
    "animation": "animer",
    "entretien": "entretenir",
    "suivi": "suivre",
    "controle": "controler",
    "installation": "installer",
    "reparation": "reparer",
    "redaction": "rediger",
    "encaissement": "encaisser",
    "livraison": "livrer",
    "reception": "receptionner",
    "rangement": "ranger",
    "tri": "trier",
    "stockage": "stocker",
    "cuisine": "cuisiner",
    "soin": "soigner",
    "soins": "soigner",
    "surveillance": "surveiller",
    "coiffure": "coiffer",
    "facturation": "facturer",
    "comptabilite": "comptable",
    "informatique": "informatique",
    "enfants": "enfant",
    "bricolage": "bricoler",
    "jardinage": "jardiner",
    "ecoute": "ecouter",
    "aide": "aider",
    "informer": "informer",
    "orientation": "orienter",
    "manutention": "manutentionner",
    "permis": "permis conduire",
}

_SPLIT = re.compile(r"[,;:\n•|]+|\s+-\s+|\s+/\s+")


@dataclass(frozen=True, slots=True)
class SkillMatch:
    """A fragment of the person's text matched to a ROME item."""

    text: str
    item_code: str
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class OccupationCoverage:
    """How much of an occupation's required items a person covers."""

    code: str
    label: str
    share: float
    covered: tuple[str, ...]
    missing: tuple[str, ...]
    uses_core: bool

    @property
    def n_required(self) -> int:
        """Number of required items (core items, or all items when the fiche has none)."""
        return len(self.covered) + len(self.missing)


@dataclass(frozen=True, slots=True)
class OccupationSuggestion:
    """An occupation suggested from skills, with its coverage and its mobility neighbours."""

    coverage: OccupationCoverage
    neighbours: tuple[tuple[str, int], ...]


def split_skill_text(text: str) -> list[str]:
    """Split a free-text skill list on commas, semicolons, colons, bullets and new lines."""
    return [part.strip() for part in _SPLIT.split(str(text)) if part.strip()]


def fit_skill_normaliser(
    items: Iterable[Item], kinds: Sequence[str] = SKILL_KINDS, **params: object
) -> JobTitleNormaliser:
    """A normaliser over item labels (codes = item OGR codes).

    Parameters
    ----------
    items : iterable of Item
        For instance ``referential.items.values()``.
    kinds : sequence of str
        Item kinds to keep (default: skills and knowledge, not work contexts).
    **params
        Passed to :class:`JobTitleNormaliser` (defaults here: no code documents, the
        :data:`SKILL_SYNONYMS` table).

    Returns
    -------
    JobTitleNormaliser
        Fitted.
    """
    wanted = set(kinds)
    kept = [i for i in items if i.kind in wanted]
    if not kept:
        raise BadInputError(f"no item of kind {', '.join(kinds)} to fit on")
    settings: dict[str, object] = {"doc_weight": 0.0, "abbreviations": SKILL_SYNONYMS}
    settings.update(params)
    normaliser = JobTitleNormaliser(**settings)  # type: ignore[arg-type]
    return normaliser.fit([i.label for i in kept], [i.ogr_code for i in kept])


def fit_esco_skill_normaliser(
    skills: Iterable[tuple[str, str, Sequence[str]]], **params: object
) -> JobTitleNormaliser:
    """A normaliser over ESCO skill labels (codes = skill URIs): each skill's preferred label and
    its alternative labels (ESCO writes "gérer des budgets" / "administrer un budget"...).

    Parameters
    ----------
    skills : iterable of (uri, preferred label, alternative labels)
        Skills and knowledge concepts of one language (not skill groups).
    **params
        Passed to :class:`JobTitleNormaliser` (defaults here, as for ROME items: no code
        documents, the :data:`SKILL_SYNONYMS` table).

    Returns
    -------
    JobTitleNormaliser
        Fitted; ``query`` returns each URI with its preferred label.
    """
    labels: list[str] = []
    codes: list[str] = []
    code_labels: dict[str, str] = {}
    for uri, preferred, alternatives in skills:
        if not preferred:
            continue
        code_labels[uri] = preferred
        for form in dict.fromkeys([preferred, *alternatives]):
            if form:
                labels.append(form)
                codes.append(uri)
    if not labels:
        raise BadInputError("no ESCO skill to fit on")
    settings: dict[str, object] = {"doc_weight": 0.0, "abbreviations": SKILL_SYNONYMS}
    settings.update(params)
    normaliser = JobTitleNormaliser(**settings)  # type: ignore[arg-type]
    return normaliser.fit(labels, codes, code_labels=code_labels)


def match_skills(
    texts: Iterable[str], normaliser: JobTitleNormaliser, *, top: int = 3, min_score: float = 0.5
) -> list[SkillMatch]:
    """Map free-text skills to ROME items.

    Parameters
    ----------
    texts : iterable of str
        What the person wrote, one or several skills per text.
    normaliser : JobTitleNormaliser
        Fitted on item labels (see :func:`fit_skill_normaliser`).
    top : int, default 3
        At most this many items per fragment.
    min_score : float, default 0.5
        Matches below this score are dropped.

    Returns
    -------
    list of SkillMatch
        In the order of the fragments, best item first within a fragment; an item matched by
        two fragments appears once, with its best score.
    """
    fragments = [f for t in texts for f in split_skill_text(t)]
    best: dict[str, SkillMatch] = {}
    for fragment, matches in zip(fragments, normaliser.query_batch(fragments, top=top), strict=True):
        for m in matches:
            if m.score >= min_score and (m.code not in best or m.score > best[m.code].score):
                best[m.code] = SkillMatch(fragment, m.code, m.label, m.score)
    return list(best.values())


def required_items(
    links: Iterable[ItemLink], items: Mapping[str, Item] | None = None, kinds: Sequence[str] = SKILL_KINDS
) -> tuple[dict[str, set[str]], set[str]]:
    """Required items per occupation, and the set of occupations whose list is their core items.

    An occupation's required items are its core items (``coeur_metier`` not empty) when it has
    some, else all its items. With ``items``, only items of the given kinds count.
    """
    wanted = set(kinds)
    core: dict[str, set[str]] = defaultdict(set)
    every: dict[str, set[str]] = defaultdict(set)
    for link in links:
        if items is not None:
            item = items.get(link.item_code)
            if item is None or item.kind not in wanted:
                continue
        every[link.rome_code].add(link.item_code)
        if link.is_core:
            core[link.rome_code].add(link.item_code)
    required = {code: core.get(code) or all_items for code, all_items in every.items()}
    return required, {code for code in required if core.get(code)}


def occupation_coverage(
    item_codes: Iterable[str],
    links: Iterable[ItemLink],
    *,
    items: Mapping[str, Item] | None = None,
    occupation_labels: Mapping[str, str] | None = None,
    top: int | None = 10,
    min_covered: int = 1,
) -> list[OccupationCoverage]:
    """Occupations ranked by the share of their required items the person has.

    Parameters
    ----------
    item_codes : iterable of str
        OGR codes of the person's items (e.g. from :func:`match_skills`).
    links : iterable of ItemLink
        Occupation -> item links (``referential.item_links``).
    items : mapping, optional
        Item code -> Item, to leave work contexts out.
    occupation_labels : mapping, optional
        Code -> label for display.
    top : int or None, default 10
        Number of occupations returned (None: all).
    min_covered : int, default 1
        Occupations with fewer covered items are left out.

    Returns
    -------
    list of OccupationCoverage
        Sorted by share (descending), then number covered (descending), then code.
    """
    have = set(item_codes)
    required, uses_core = required_items(links, items)
    out = []
    for code, needed in required.items():
        covered = needed & have
        if len(covered) < min_covered:
            continue
        out.append(
            OccupationCoverage(
                code=code,
                label=(occupation_labels or {}).get(code, code),
                share=len(covered) / len(needed),
                covered=tuple(sorted(covered)),
                missing=tuple(sorted(needed - covered)),
                uses_core=code in uses_core,
            )
        )
    out.sort(key=lambda c: (-c.share, -len(c.covered), c.code))
    return out if top is None else out[:top]


def neighbours(code: str, mobility: Iterable[MobilityLink]) -> list[tuple[str, int]]:
    """(target code, rank) of the mobility links from ``code``, in the publisher's order."""
    return sorted(((m.target, m.rank) for m in mobility if m.source == code), key=lambda t: (t[1], t[0]))


def suggest_occupations(
    texts: Iterable[str],
    referential: RomeReferential,
    normaliser: JobTitleNormaliser,
    *,
    top: int = 10,
    min_score: float = 0.5,
) -> tuple[list[SkillMatch], list[OccupationSuggestion]]:
    """Free-text skills -> matched items -> occupations with coverage and neighbours.

    Returns
    -------
    tuple
        The item matches and the suggestions (see :func:`occupation_coverage`).
    """
    matches = match_skills(texts, normaliser, min_score=min_score)
    labels = {code: occ.label for code, occ in referential.occupations.items()}
    coverage = occupation_coverage(
        (m.item_code for m in matches),
        referential.item_links,
        items=referential.items,
        occupation_labels=labels,
        top=top,
    )
    by_source: dict[str, list[MobilityLink]] = defaultdict(list)
    for link in referential.mobility:
        by_source[link.source].append(link)
    suggestions = [
        OccupationSuggestion(c, tuple(neighbours(c.code, by_source.get(c.code, [])))) for c in coverage
    ]
    return matches, suggestions
