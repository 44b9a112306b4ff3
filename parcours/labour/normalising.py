"""Fitted normalisers as versioned artefacts: built from the database after an import, saved
under ``settings.DATA_DIR / "artefacts"``, loaded once per process.

- ``job_titles`` artefacts map a free-text job title to ROME codes (or ESCO URIs of one language);
- the ``skills`` artefacts map a free-text skill to ROME items (savoir-faire, savoir-être, savoir)
  or, for ESCO, to ESCO skills of one language: the same
  :class:`~parcours.stats.labour.normalise.JobTitleNormaliser`, fitted on item or skill labels
  (the ESCO one with the semantic stage, which helps there and not on ROME items: docs/labour.md).

Requests never fit anything: they call :func:`get_normaliser`, which finds the newest artefact row
and loads its file through an ``lru_cache`` keyed on the artefact id (a new import makes a new
row, so the cache never serves a stale model). The QuerySet -> training lists conversion lives
here and only here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from parcours.labour.models import (
    RESOLVE_SCORE,
    EscoBroader,
    EscoOccupation,
    EscoSkill,
    IscoGroup,
    JobTitle,
    NormaliserArtefact,
    Occupation,
    OccupationSkill,
    ReferentialVersion,
    RomeItem,
    Taxonomy,
)
from parcours.stats.labour.esco import hierarchy_texts
from parcours.stats.labour.normalise import (
    SEMANTIC_WEIGHT,
    JobTitleNormaliser,
    esco_normaliser,
    semantic_normaliser,
)
from parcours.stats.labour.rome import gender_forms
from parcours.stats.labour.skills import SKILL_SYNONYMS, fit_esco_skill_normaliser

logger = logging.getLogger(__name__)


class NoReferential(Exception):
    """No referential of this taxonomy has been imported (nothing to match against)."""


def artefact_dir() -> Path:
    return Path(settings.DATA_DIR) / "artefacts"


# --------------------------------------------------------------------------- training data


def rome_training_data() -> tuple[list[str], list[str], dict[str, str], dict[str, str]]:
    """(labels, codes, code_labels, code_texts) of the active ROME occupations, as
    RomeReferential.label_pairs / code_texts build them from the CSV files."""
    labels: list[str] = []
    codes: list[str] = []
    code_labels: dict[str, str] = {}
    definitions: dict[str, str] = {}
    for code, label, definition in Occupation.objects.active().values_list(
        "rome_code", "label", "definition"
    ):
        labels.append(label)
        codes.append(code)
        code_labels[code] = label
        definitions[code] = definition
    titles = (
        JobTitle.objects.filter(is_active=True, occupation__is_active=True)
        .values_list("label", "short_label", "occupation__rome_code")
        .order_by("pk")
    )
    for label, short, code in titles.iterator(chunk_size=5000):
        forms = [label, short, *gender_forms(label)]
        for form in dict.fromkeys(f for f in forms if f):
            labels.append(form)
            codes.append(code)
    core: dict[str, list[str]] = {}
    links = (
        OccupationSkill.objects.filter(occupation__is_active=True, item__kind__in=RomeItem.SKILL_KINDS)
        .exclude(core_label="")
        .values_list("occupation__rome_code", "item__label")
    )
    for code, item_label in links.iterator(chunk_size=10000):
        core.setdefault(code, []).append(item_label)
    code_texts = {
        code: " ".join([definitions.get(code, ""), *sorted(core.get(code, []))]).strip()
        for code in code_labels
    }
    return labels, codes, code_labels, code_texts


def esco_training_data(language: str) -> tuple[list[str], list[str], dict[str, str], dict[str, str]]:
    """(labels, codes, code_labels, code_texts) of the active ESCO occupations in ``language``;
    a code's text is its description plus the labels of what sits above it in the hierarchy
    (broader occupation, ISCO groups: :func:`~parcours.stats.labour.esco.hierarchy_texts`) when
    the export's hierarchy and ISCO groups were imported."""
    labels: list[str] = []
    codes: list[str] = []
    code_labels: dict[str, str] = {}
    code_texts: dict[str, str] = {}
    rows = EscoOccupation.objects.filter(is_active=True).values_list(
        "uri", "labels", "alt_labels", "descriptions"
    )
    preferred_of: dict[str, str] = {}
    for uri, names, alt, descriptions in rows.iterator(chunk_size=2000):
        preferred = names.get(language)
        if not preferred:
            continue
        preferred_of[uri] = code_labels[uri] = preferred
        code_texts[uri] = descriptions.get(language, "")
        for form in dict.fromkeys([preferred, *alt.get(language, [])]):
            if form:
                labels.append(form)
                codes.append(uri)
    isco = {
        uri: names[language]
        for uri, names in IscoGroup.objects.values_list("uri", "labels").iterator(chunk_size=2000)
        if names.get(language)
    }
    broader = EscoBroader.objects.filter(pillar=EscoBroader.Pillar.OCCUPATION).values_list(
        "uri", "broader_uri"
    )
    for uri, text in hierarchy_texts(preferred_of.items(), broader.iterator(chunk_size=5000), isco).items():
        if uri in code_texts:
            code_texts[uri] = " ".join(filter(None, [code_texts[uri], text]))
    return labels, codes, code_labels, code_texts


def skill_training_data() -> tuple[list[str], list[str], dict[str, str]]:
    """(labels, codes, code_labels) of the active ROME skills and knowledge items that some
    active occupation requires (work contexts are not skills)."""
    rows = (
        RomeItem.objects.filter(is_active=True, kind__in=RomeItem.SKILL_KINDS, occupation_links__isnull=False)
        .distinct()
        .values_list("code_ogr", "label")
    )
    labels, codes, code_labels = [], [], {}
    for code, label in rows.iterator(chunk_size=10000):
        labels.append(label)
        codes.append(code)
        code_labels[code] = label
    return labels, codes, code_labels


def esco_skill_training_data(language: str) -> list[tuple[str, str, list[str]]]:
    """(URI, preferred label, alternative labels) of the active ESCO skill and knowledge concepts
    in ``language`` (skill groups are headings, not skills)."""
    rows = EscoSkill.objects.filter(is_active=True, concept_type=EscoSkill.ConceptType.SKILL).values_list(
        "uri", "labels", "alt_labels"
    )
    return [
        (uri, names[language], list(alt.get(language, [])))
        for uri, names, alt in rows.iterator(chunk_size=5000)
        if names.get(language)
    ]


def fit_from_db(taxonomy: str, *, kind: str = NormaliserArtefact.Kind.JOB_TITLES, language: str = "fr"):
    """Fit a normaliser on what the database holds now (CLI and import only, never in a request).

    Returns (normaliser, number of labels); raises NoReferential when there is nothing to fit on.
    """
    if kind == NormaliserArtefact.Kind.SKILLS and taxonomy == Taxonomy.ESCO:
        skills = esco_skill_training_data(language)
        if not skills:
            raise NoReferential(f"no ESCO skill loaded in language {language}")
        normaliser = fit_esco_skill_normaliser(skills, semantic_weight=SEMANTIC_WEIGHT)
        return normaliser, sum(len({f for f in [label, *alt] if f}) for _uri, label, alt in skills)
    if kind == NormaliserArtefact.Kind.SKILLS:
        labels, codes, code_labels = skill_training_data()
        code_texts = None
        # same settings as the science core's fit_skill_normaliser (noun -> verb synonyms)
        normaliser = JobTitleNormaliser(doc_weight=0.0, abbreviations=SKILL_SYNONYMS)
    else:
        if taxonomy == Taxonomy.ROME:
            labels, codes, code_labels, code_texts = rome_training_data()
            normaliser = semantic_normaliser()
        else:
            labels, codes, code_labels, code_texts = esco_training_data(language)
            normaliser = esco_normaliser()
    if not labels:
        raise NoReferential(f"no {taxonomy} referential loaded ({kind}, language {language})")
    normaliser.fit(labels, codes, code_labels=code_labels, code_texts=code_texts)
    return normaliser, len(labels)


# --------------------------------------------------------------------------- artefacts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def store_artefact(
    normaliser, referential: ReferentialVersion, *, kind: str, language: str, n_labels: int, seconds: float
):
    """Save a fitted normaliser next to the others and record its row."""
    folder = artefact_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    name = f"{referential.taxonomy}-{kind}-{language or 'xx'}-{referential.version}-{referential.pk}-{stamp}.joblib"
    # write then rename: a reader never sees a half-written file
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(fd)
    normaliser.save(tmp)
    final = folder / name
    os.replace(tmp, final)
    return NormaliserArtefact.objects.create(
        taxonomy=referential.taxonomy,
        kind=kind,
        language=language,
        referential=referential,
        path=name,
        sha256=_sha256(final),
        n_labels=n_labels,
        fit_seconds=round(seconds, 3),
    )


def fit_artefacts(referential: ReferentialVersion) -> list[NormaliserArtefact]:
    """Fit and store the artefacts of a freshly imported referential: job titles (ROME, or ESCO in
    the imported language) and skills (ROME items; ESCO skills when the export had some)."""
    kinds = [NormaliserArtefact.Kind.JOB_TITLES, NormaliserArtefact.Kind.SKILLS]
    language = referential.language or "fr"
    out = []
    for kind in kinds:
        started = time.perf_counter()
        try:
            normaliser, n_labels = fit_from_db(referential.taxonomy, kind=kind, language=language)
        except NoReferential:
            continue
        seconds = time.perf_counter() - started
        out.append(
            store_artefact(
                normaliser, referential, kind=kind, language=language, n_labels=n_labels, seconds=seconds
            )
        )
        logger.info(
            "artefact=%s taxonomy=%s kind=%s fitted seconds=%.1f",
            out[-1].pk,
            referential.taxonomy,
            kind,
            seconds,
        )
    return out


def current_artefact(
    taxonomy: str, *, kind: str = NormaliserArtefact.Kind.JOB_TITLES, language: str = "fr"
) -> NormaliserArtefact | None:
    """The newest artefact of this taxonomy, kind and language, if any."""
    return (
        NormaliserArtefact.objects.filter(taxonomy=taxonomy, kind=kind, language=language)
        .order_by("-created_at", "-pk")
        .first()
    )


@lru_cache(maxsize=8)
def load_artefact(artefact_id: int) -> JobTitleNormaliser:
    """The fitted normaliser of an artefact row, read from disk once per process."""
    artefact = NormaliserArtefact.objects.get(pk=artefact_id)
    path = artefact_dir() / artefact.path
    if not path.is_file():
        raise NoReferential(f"artefact file {artefact.path} is missing: re-run the import")
    return JobTitleNormaliser.load(path)


def get_normaliser(
    taxonomy: str, *, kind: str = NormaliserArtefact.Kind.JOB_TITLES, language: str = "fr"
) -> tuple[JobTitleNormaliser, NormaliserArtefact]:
    """The current fitted normaliser; raises NoReferential when none was stored."""
    artefact = current_artefact(taxonomy, kind=kind, language=language)
    if artefact is None:
        raise NoReferential(f"no fitted {taxonomy} {kind} normaliser: import the referential first")
    return load_artefact(artefact.pk), artefact


# --------------------------------------------------------------------------- free-text job titles

SEARCH_RESULTS = 20
# A typed title resolves to its best occupation only when the normaliser is sure enough: a score of
# at least RESOLVE_SCORE and a lead of RESOLVE_MARGIN over the next occupation ("aide soignant" ->
# J1501 at 0.75, next 0.40). Otherwise the candidates scoring at least CANDIDATE_SCORE are offered
# ("aide", "vendeur", "développeur": several occupations within a few hundredths).
RESOLVE_MARGIN = 0.1
CANDIDATE_SCORE = 0.3
CANDIDATES = 5
ROME_CODE = re.compile(r"^\s*([A-Za-z]\d{4})(?:\s|$|[—–-])")


def search_occupations(
    query: str, *, top: int = SEARCH_RESULTS
) -> tuple[list[tuple[Occupation, float | None]], bool]:
    """Occupations for a free-text query: through the stored normaliser when there is one, else a
    plain label search. Returns ([(occupation, score)], used_normaliser)."""
    try:
        normaliser, _artefact = get_normaliser("rome")
    except NoReferential:
        found = Occupation.objects.active().filter(label__icontains=query).order_by("rome_code")[:top]
        return [(o, None) for o in found], False
    matches = normaliser.query(query, top=top)
    by_code = Occupation.objects.active().in_bulk([m.code for m in matches], field_name="rome_code")
    return [(by_code[m.code], m.score) for m in matches if m.code in by_code], True


@dataclass(frozen=True)
class TitleResolution:
    """What a typed occupation means: one occupation, or candidates to choose from, or nothing.
    ``code`` is set when the text started with a ROME code (found or not)."""

    occupation: Occupation | None
    candidates: tuple[Occupation, ...] = ()
    code: str = ""


def resolve_occupation(text: str) -> TitleResolution:
    """A ROME code ("J1501", or a suggestion "J1501 — Aide-soignant…") is taken as is; a free title
    goes through the normaliser and resolves only when one occupation clearly leads."""
    code = ROME_CODE.match(text)
    if code:
        rome_code = code.group(1).upper()
        return TitleResolution(
            Occupation.objects.active().filter(rome_code=rome_code).first(), code=rome_code
        )
    results, used_normaliser = search_occupations(text, top=CANDIDATES)
    if not used_normaliser:
        # Without a fitted normaliser, a label search: resolved only when exactly one label contains it.
        found = tuple(o for o, _score in results)
        return TitleResolution(found[0] if len(found) == 1 else None, found if len(found) > 1 else ())
    if not results:
        return TitleResolution(None)
    best_score = results[0][1] or 0.0
    next_score = (results[1][1] or 0.0) if len(results) > 1 else 0.0
    if best_score >= RESOLVE_SCORE and best_score - next_score >= RESOLVE_MARGIN:
        return TitleResolution(results[0][0])
    return TitleResolution(None, tuple(o for o, score in results if (score or 0.0) >= CANDIDATE_SCORE))
