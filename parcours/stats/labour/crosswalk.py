"""Reader for a ROME ↔ ESCO occupation crosswalk (correspondance ROME / ESCO).

France Travail and the European Commission publish the correspondence between ROME and ESCO
occupations as a table: one row per link between a ROME fiche (``code_rome``), or one of its
job titles (``code_ogr``), and an ESCO occupation URI, with the SKOS mapping relation
(``exactMatch``, ``closeMatch``, ``narrowMatch``, ``broadMatch``, ``relatedMatch``). Releases
name their columns differently and come comma- or semicolon-separated, so columns are found by
header name, compared without case, accents, spaces or punctuation, among the aliases of
:data:`COLUMN_ALIASES`; label columns are ignored. The relation may be written ``exactMatch``,
``skos:exactMatch``, the full SKOS URI or the short form ``exact``; a file without a relation
column gives links of unspecified relation.

Django-free: the importer checks the codes and URIs against the referentials it holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from parcours.stats.errors import BadInputError
from parcours.stats.labour.rome import Issue
from parcours.stats.tabular import iter_csv, read_text

#: SKOS mapping relations, strongest first (the order ranks links when one is chosen per fiche).
RELATIONS = ("exactMatch", "closeMatch", "narrowMatch", "broadMatch", "relatedMatch")
UNSPECIFIED = ""
#: header aliases, already folded by :func:`fold` (lower case, no accent, letters and digits only)
COLUMN_ALIASES = {
    "rome_code": ("coderome", "rome", "romecode", "codefiche", "codefichrome", "codefichemetier", "coderomev4",
                  "romev4", "codemetierrome", "fichrome", "ficherome"),
    "code_ogr": ("codeogr", "ogr", "codeappellation", "appellationcode", "codeograppellation", "ogrcode",
                 "codeogrdelappellation"),
    "esco_uri": ("uriesco", "escouri", "conceptUri", "escoconcepturi", "uri", "occupationuri", "targeturi",
                 "urimetieresco", "escooccupationuri", "uriescooccupation", "uridumetieresco", "urioccupation"),
    "relation": ("relation", "mappingrelation", "typedecorrespondance", "typecorrespondance", "matchtype",
                 "typerelation", "typederelation", "skosrelation", "relationtype", "mappingtype", "typemapping",
                 "niveaudecorrespondance", "correspondance"),
}  # fmt: skip
ROME_CODE = re.compile(r"^[A-N]\d{4}$")
OGR_CODE = re.compile(r"^\d{1,12}$")
ESCO_OCCUPATION_URI = re.compile(r"^http://data\.europa\.eu/esco/occupation/[0-9A-Za-z-]+$")
SKOS_PREFIXES = ("http://www.w3.org/2004/02/skos/core#", "skos:")


@dataclass(frozen=True, slots=True)
class CrosswalkLink:
    """One row: a ROME fiche (and, when the row names one, one of its job titles) to an ESCO
    occupation, with its SKOS relation (``""`` when the file does not say)."""

    rome_code: str
    esco_uri: str
    relation: str = UNSPECIFIED
    code_ogr: str = ""
    line: int = 0


def fold(name: str) -> str:
    """A header compared loosely: ``"Code ROME"``, ``"code_rome"`` and ``"CodeRome"`` fold alike."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", text)


def find_columns(header: list[str]) -> dict[str, str | None]:
    """{role: header name or None} for the roles of :data:`COLUMN_ALIASES`."""
    folded = {fold(h): h for h in header}
    found: dict[str, str | None] = {}
    for role, aliases in COLUMN_ALIASES.items():
        found[role] = next((folded[fold(a)] for a in aliases if fold(a) in folded), None)
    if found["esco_uri"] is None:  # e.g. "URI ESCO du métier (v1.2)"
        found["esco_uri"] = next((h for h in header if "uri" in fold(h) and "esco" in fold(h)), None)
    return found


def parse_relation(value: str) -> str | None:
    """The SKOS relation named by ``value`` (``None`` when it names none)."""
    text = value.strip()
    for prefix in SKOS_PREFIXES:
        if text.lower().startswith(prefix.lower()):
            text = text[len(prefix) :]
    folded = fold(text)
    for relation in RELATIONS:
        if folded in (relation.lower(), relation.lower().removesuffix("match")):
            return relation
    return None


def iter_crosswalk(path: str | Path, issues: list[Issue]) -> Iterator[CrosswalkLink]:
    """Stream the links of a crosswalk file; each invalid row adds an :class:`Issue` with its
    line and is skipped. A file without a ROME code or job-title column, or without an ESCO URI
    column, is one issue at line 1."""
    path = Path(path)
    try:
        header, _delimiter, rows = iter_csv(read_text(path), path.name)
    except BadInputError as exc:
        issues.append(_issue(path, exc, default_line=1))
        return
    columns = find_columns(header)
    if columns["esco_uri"] is None or (columns["rome_code"] is None and columns["code_ogr"] is None):
        wanted = "an ESCO URI column" if columns["esco_uri"] is None else "a ROME code or OGR code column"
        issues.append(Issue(path.name, 1, f"no {wanted} (columns: {', '.join(header)})"))
        return
    index = {role: header.index(name) for role, name in columns.items() if name is not None}
    seen: dict[tuple[str, str, str], int] = {}
    try:
        for line, fields in rows:
            value = {role: fields[i].strip() for role, i in index.items()}
            rome_code = value.get("rome_code", "").upper()
            code_ogr = value.get("code_ogr", "")
            uri = value["esco_uri"]
            problems = []
            if not rome_code and not code_ogr:
                problems.append("neither a ROME code nor an OGR code")
            if rome_code and not ROME_CODE.match(rome_code):
                problems.append(f"ROME code {rome_code!r} is not a letter and four digits")
            if code_ogr and not OGR_CODE.match(code_ogr):
                problems.append(f"OGR code {code_ogr!r} is not a number")
            if not ESCO_OCCUPATION_URI.match(uri):
                problems.append(f"{uri!r} is not an ESCO occupation URI")
            relation = UNSPECIFIED
            if "relation" in value:
                relation = parse_relation(value["relation"])
                if relation is None:
                    problems.append(f"relation {value['relation']!r} is not one of {', '.join(RELATIONS)}")
            key = (rome_code, code_ogr, uri)
            if not problems and key in seen:
                problems.append(f"same link as line {seen[key]}")
            if problems:
                issues.extend(Issue(path.name, line, p) for p in problems)
                continue
            seen[key] = line
            yield CrosswalkLink(rome_code, uri, relation, code_ogr, line)
    except BadInputError as exc:
        issues.append(_issue(path, exc, default_line=0))


def _issue(path: Path, exc: BadInputError, *, default_line: int) -> Issue:
    """The tabular reader's ``name:line: message`` as an :class:`Issue` of this file."""
    message = str(exc)
    for prefix in (str(path), path.name):
        if message.startswith(prefix + ":"):
            message = message[len(prefix) + 1 :]
            break
    where, _, what = message.partition(": ")
    if where.strip().isdigit():
        return Issue(path.name, int(where), what)
    return Issue(path.name, default_line, message.strip())


def choose_per_fiche(links: list[CrosswalkLink], main_titles: dict[str, str] | None = None) -> dict[str, str]:
    """{ROME code: the ESCO URI that stands for the fiche}: the strongest relation wins
    (``exactMatch`` before ``closeMatch``…, unspecified last); at equal relation a link of the
    fiche itself before one of a job title, the main job title's link before the others, then
    the URI most job titles of the fiche point to, then the smallest URI (stable)."""
    main_titles = main_titles or {}
    rank = {r: i for i, r in enumerate(RELATIONS)}
    votes: dict[tuple[str, str], int] = {}
    for link in links:
        votes[link.rome_code, link.esco_uri] = votes.get((link.rome_code, link.esco_uri), 0) + 1
    best: dict[str, tuple] = {}
    for link in links:
        key = (
            rank.get(link.relation, len(RELATIONS)),
            0 if not link.code_ogr else 1 if main_titles.get(link.rome_code) == link.code_ogr else 2,
            -votes[link.rome_code, link.esco_uri],
            link.esco_uri,
        )
        if link.rome_code not in best or key < best[link.rome_code][0]:
            best[link.rome_code] = (key, link.esco_uri)
    return {code: uri for code, (_key, uri) in best.items()}
