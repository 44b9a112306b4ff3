"""Readers and validators for the official ROME 4.0 CSV set (France Travail open data).

The set is a folder of ``unix_<name>_v<version>_utf8.csv`` files (UTF-8, comma separated, every
field double-quoted, ``\\n`` line ends) plus a ``version.txt`` release note. This module finds the
files whatever the version number, streams them with :mod:`csv`, validates every row and collects
problems as :class:`Issue` objects (file, physical line, message) instead of stopping at the first.

Two levels of API:

- streaming generators, one per file kind (:func:`iter_occupations`, :func:`iter_job_titles`,
  :func:`iter_items`, :func:`iter_item_links`, :func:`iter_mobility`, ...), which yield typed
  records and append issues to a list; an importer can feed them to the database in chunks;
- :func:`read_rome`, which reads the whole set (a few tens of MB) into a :class:`RomeReferential`
  and checks referential integrity across files (appellation -> fiche, link -> item, ...).

Only the files below are read; the others of the official set (sector trees, centres
d'intérêt, RIASEC...) are found by :func:`find_rome_files` but not parsed here.

References
----------
France Travail, "Répertoire Opérationnel des Métiers et des Emplois (ROME) 4.0", open-data files,
Licence Ouverte / Open Licence (Etalab).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from parcours.stats.errors import BadInputError

FILE_PATTERN = re.compile(r"^unix_(?P<name>[a-z_]+?)_v(?P<version>\d+)_utf8\.csv$")
ROME_CODE = re.compile(r"^[A-N]\d{4}$")
OGR_CODE = re.compile(r"^\d{1,9}$")
DOMAIN_CODE = re.compile(r"^[A-N]\d{2}$")
GRAND_DOMAIN_CODE = re.compile(r"^[A-N]$")

#: Columns each parsed file must have (other columns are allowed and ignored).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "referentiel_code_rome": ("code_rome", "code_ogr", "libelle_rome"),
    "referentiel_appellation": (
        "code_ogr",
        "libelle_appellation_long",
        "libelle_appellation_court",
        "code_rome",
    ),
    "item": ("code_ogr", "libelle", "code_rubrique"),
    "referentiel_competence": ("code_ogr", "nature", "libelle_competence"),
    "referentiel_savoir": ("code_ogr_savoir", "libelle_savoir"),
    "coherence_item": ("code_rome", "code_ogr", "coeur_metier"),
    "rubrique_mobilite": ("code_rome", "code_rome_cible", "numero_ordre"),
    "texte": ("code_rome", "libelle_type_texte", "position_phrase", "libelle_texte"),
    "grand_domaine": ("code_grand_domaine", "libelle_grand_domaine"),
    "domaine_professionnel": ("code_domaine_professionnel", "libelle_domaine_professionnel"),
    "cr_gd_dp": ("code_rome", "code_grand_domaine", "code_domaine_professionel"),
}
#: Files without which the set is unusable.
REQUIRED_FILES = ("referentiel_code_rome", "referentiel_appellation")

#: ``code_rubrique`` of unix_item -> item kind.
ITEM_KINDS = {"1": "savoir_faire", "2": "savoir_etre", "3": "savoir", "": "work_context"}


@dataclass(frozen=True, slots=True)
class Issue:
    """One validation problem: where it is and what is wrong."""

    file: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class Occupation:
    """A ROME fiche (``unix_referentiel_code_rome``), with its domain and definition if read."""

    code: str
    label: str
    ogr_code: str
    parent_code: str = ""
    domain_code: str = ""
    definition: str = ""
    access: str = ""
    is_regulated: bool | None = None
    is_executive: bool | None = None


@dataclass(frozen=True, slots=True)
class JobTitle:
    """A ROME appellation: one of the job titles of a fiche."""

    ogr_code: str
    label: str
    short_label: str
    rome_code: str
    masculine: str
    feminine: str
    is_main: bool = False
    is_rare: bool = False
    parent_rome_code: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """A skill (savoir-faire, savoir-être), a knowledge item (savoir) or a work context."""

    ogr_code: str
    label: str
    kind: str
    category: str = ""
    subcategory: str = ""


@dataclass(frozen=True, slots=True)
class ItemLink:
    """Occupation -> item link (``unix_coherence_item``); ``core`` is the ``coeur_metier`` value."""

    rome_code: str
    item_code: str
    core: str = ""

    @property
    def is_core(self) -> bool:
        """Whether the item is a core skill of the occupation (``Principale`` or ``Émergente``)."""
        return bool(self.core)


@dataclass(frozen=True, slots=True)
class MobilityLink:
    """A mobility suggestion between two fiches; ``rank`` is the publisher's ``numero_ordre``.

    ROME 4.0 files no longer say whether a link is "proche" or "évolution".
    """

    source: str
    target: str
    rank: int


@dataclass(frozen=True, slots=True)
class Domain:
    """A node of the fiche tree: a grand domaine (``A``) or a domaine professionnel (``A11``)."""

    code: str
    label: str
    parent_code: str = ""


@dataclass
class RomeFiles:
    """Where the files of one ROME set are, and which version they are."""

    directory: Path
    version: str
    paths: dict[str, Path]
    release: dict[str, str] = field(default_factory=dict)

    def path(self, name: str) -> Path | None:
        """Path of the file ``unix_<name>_v<version>_utf8.csv``, or None when absent."""
        return self.paths.get(name)


@dataclass
class RomeReferential:
    """Everything :func:`read_rome` parsed, plus the issues found."""

    version: str
    occupations: dict[str, Occupation]
    job_titles: list[JobTitle]
    items: dict[str, Item]
    item_links: list[ItemLink]
    mobility: list[MobilityLink]
    domains: dict[str, Domain]
    issues: list[Issue]
    release: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        """Issues of severity ``error``."""
        return [i for i in self.issues if i.severity == "error"]

    def titles_by_code(self) -> dict[str, list[JobTitle]]:
        """Job titles grouped by ROME code."""
        out: dict[str, list[JobTitle]] = defaultdict(list)
        for title in self.job_titles:
            out[title.rome_code].append(title)
        return dict(out)

    def items_by_code(
        self, *, core_only: bool = False, kinds: Iterable[str] | None = None
    ) -> dict[str, set[str]]:
        """Item codes linked to each ROME code, optionally only core items or some kinds."""
        wanted = set(kinds) if kinds is not None else None
        out: dict[str, set[str]] = defaultdict(set)
        for link in self.item_links:
            if core_only and not link.is_core:
                continue
            item = self.items.get(link.item_code)
            if wanted is not None and (item is None or item.kind not in wanted):
                continue
            out[link.rome_code].add(link.item_code)
        return dict(out)

    def code_texts(self, *, core_items: bool = True) -> dict[str, str]:
        """Descriptive text per ROME code: its definition and, optionally, its core skill labels.

        Used as code documents by :class:`~parcours.stats.labour.normalise.JobTitleNormaliser`.
        """
        core = (
            self.items_by_code(core_only=True, kinds=("savoir_faire", "savoir_etre", "savoir"))
            if core_items
            else {}
        )
        out = {}
        for code, occ in self.occupations.items():
            labels = sorted(self.items[i].label for i in core.get(code, ()) if i in self.items)
            out[code] = " ".join([occ.definition, *labels]).strip()
        return out

    def label_pairs(
        self, *, include_short: bool = True, include_gendered: bool = True
    ) -> tuple[list[str], list[str]]:
        """(labels, codes) for fitting a normaliser: fiche labels and every appellation form."""
        labels: list[str] = []
        codes: list[str] = []
        for occ in self.occupations.values():
            labels.append(occ.label)
            codes.append(occ.code)
        for title in self.job_titles:
            forms = [title.label]
            if include_short:
                forms.append(title.short_label)
            if include_gendered:
                forms += [title.masculine, title.feminine]
            for form in dict.fromkeys(f for f in forms if f):
                labels.append(form)
                codes.append(title.rome_code)
        return labels, codes


# --------------------------------------------------------------------------- files


def find_rome_files(directory: str | Path) -> RomeFiles:
    """Find the ``unix_*_v<version>_utf8.csv`` files of a ROME set.

    Parameters
    ----------
    directory : str or Path
        Folder holding the official files (any version number).

    Returns
    -------
    RomeFiles
        Paths by logical name (``referentiel_appellation``...), the version read from the file
        names and the fields of ``version.txt`` when present.

    Raises
    ------
    BadInputError
        The folder does not exist, holds no ROME file, mixes versions or lacks a required file.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise BadInputError(f"ROME folder not found: {directory}")
    paths: dict[str, Path] = {}
    versions: set[str] = set()
    for path in sorted(directory.iterdir()):
        match = FILE_PATTERN.match(path.name)
        if match:
            paths[match["name"]] = path
            versions.add(match["version"])
    if not paths:
        raise BadInputError(f"no unix_*_v*_utf8.csv file in {directory}")
    if len(versions) > 1:
        raise BadInputError(f"mixed ROME versions in {directory}: {', '.join(sorted(versions))}")
    missing = [name for name in REQUIRED_FILES if name not in paths]
    if missing:
        raise BadInputError(f"missing ROME file(s) in {directory}: {', '.join(missing)}")
    release = read_release_note(directory / "version.txt")
    return RomeFiles(directory=directory, version=versions.pop(), paths=paths, release=release)


def read_release_note(path: Path) -> dict[str, str]:
    """Parse ``version.txt`` ("Numero de version : 60", "Date de publication : ...") into a dict."""
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and len(key) < 40:
            out.setdefault(key.strip().lower(), value.strip())
    return out


def iter_csv(
    path: Path, required: Iterable[str], issues: list[Issue]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream the rows of one CSV file as (physical start line, {column: stripped value}).

    The header is checked for the ``required`` columns (one issue and nothing yielded when some
    are missing); rows with the wrong number of fields are reported and skipped.
    """
    name = path.name
    reader = None
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                issues.append(Issue(name, 1, "empty file"))
                return
            header = [h.strip() for h in header]
            missing = [c for c in required if c not in header]
            if missing:
                issues.append(
                    Issue(name, 1, f"missing column(s) {', '.join(missing)} (available: {', '.join(header)})")
                )
                return
            width = len(header)
            line = reader.line_num + 1
            for row in reader:
                start, line = line, reader.line_num + 1
                if not row:
                    continue
                if len(row) != width:
                    issues.append(Issue(name, start, f"expected {width} fields, found {len(row)}"))
                    continue
                yield start, {k: v.strip() for k, v in zip(header, row, strict=True)}
    except UnicodeDecodeError as exc:
        issues.append(Issue(name, 0, f"not UTF-8 ({exc.reason} at byte {exc.start})"))
    except csv.Error as exc:
        issues.append(Issue(name, reader.line_num if reader else 0, f"unreadable CSV: {exc}"))


def _check(condition: bool, issues: list[Issue], name: str, line: int, message: str) -> bool:
    if not condition:
        issues.append(Issue(name, line, message))
    return condition


def _rome_code_ok(value: str, column: str, issues: list[Issue], name: str, line: int) -> bool:
    return _check(
        bool(ROME_CODE.match(value)), issues, name, line, f"{column} {value!r} is not a ROME code (A1234)"
    )


def _ogr_ok(value: str, column: str, issues: list[Issue], name: str, line: int) -> bool:
    return _check(
        bool(OGR_CODE.match(value)), issues, name, line, f"{column} {value!r} is not a numeric OGR code"
    )


def _flag(value: str) -> bool | None:
    return {"O": True, "N": False}.get(value.upper())


# --------------------------------------------------------------------------- gender forms

_PAREN_SUFFIXES = (("(se)", "eur", "euse"), ("(trice)", "teur", "trice"), ("(ère)", "er", "ère"))
_GLUED_PAREN = re.compile(r"(?<=\w)\(([a-zèé]{1,6})\)")


def _paren_forms(text: str) -> tuple[str, str]:
    """Masculine and feminine forms of ``Assistant(e) maternel(le)``-style labels.

    Only parentheses glued to a word are gender marks; ``(ASH)`` or ``(lapins)`` are kept.
    """
    masculine = _GLUED_PAREN.sub("", text)
    feminine = text
    for mark, end, fem_end in _PAREN_SUFFIXES:
        feminine = feminine.replace(f"{end}{mark}", fem_end)
    feminine = _GLUED_PAREN.sub(lambda m: m[1], feminine)
    return masculine, feminine


def gender_forms(label: str) -> tuple[str, str]:
    """Split a ROME label into its masculine and feminine forms.

    ``"Agent / Agente de nettoyage"`` -> ``("Agent de nettoyage", "Agente de nettoyage")``;
    ``"Commis de cuisine tournant / Commise de cuisine tournante"`` keeps each side whole;
    ``"Assistant(e) maternel(le)"`` -> ``("Assistant maternel", "Assistante maternelle")``.
    Labels without a gender mark come back twice unchanged.
    """
    if label.count(" / ") == 1:
        left, right = label.split(" / ")
        n_left = len(left.split())
        right_words = right.split()
        tail = right_words[n_left:]
        masculine = " ".join([left, *tail])
        return _paren_forms(masculine)[0], _paren_forms(right)[1]
    if _GLUED_PAREN.search(label):
        return _paren_forms(label)
    return label, label


# --------------------------------------------------------------------------- streaming parsers


def iter_occupations(path: Path, issues: list[Issue]) -> Iterator[Occupation]:
    """Stream fiches from ``unix_referentiel_code_rome``; invalid rows become issues."""
    name = path.name
    seen: set[str] = set()
    for line, row in iter_csv(path, REQUIRED_COLUMNS["referentiel_code_rome"], issues):
        code, label, ogr = row["code_rome"], row["libelle_rome"], row["code_ogr"]
        parent = row.get("code_rome_parent", "")
        ok = _rome_code_ok(code, "code_rome", issues, name, line)
        ok &= _ogr_ok(ogr, "code_ogr", issues, name, line)
        ok &= _check(bool(label), issues, name, line, "empty libelle_rome")
        ok &= _check(code not in seen, issues, name, line, f"duplicate code_rome {code}")
        if parent:
            ok &= _rome_code_ok(parent, "code_rome_parent", issues, name, line)
        if ok:
            seen.add(code)
            yield Occupation(
                code=code,
                label=label,
                ogr_code=ogr,
                parent_code=parent,
                is_regulated=_flag(row.get("emploi_reglemente", "")),
                is_executive=_flag(row.get("emploi_cadre", "")),
            )


def iter_job_titles(
    path: Path, issues: list[Issue], known_codes: set[str] | None = None
) -> Iterator[JobTitle]:
    """Stream appellations; with ``known_codes``, titles of unknown fiches are reported."""
    name = path.name
    seen: set[str] = set()
    for line, row in iter_csv(path, REQUIRED_COLUMNS["referentiel_appellation"], issues):
        ogr, code = row["code_ogr"], row["code_rome"]
        label, short = row["libelle_appellation_long"], row["libelle_appellation_court"]
        ok = _ogr_ok(ogr, "code_ogr", issues, name, line)
        ok &= _rome_code_ok(code, "code_rome", issues, name, line)
        ok &= _check(bool(label), issues, name, line, "empty libelle_appellation_long")
        ok &= _check(ogr not in seen, issues, name, line, f"duplicate code_ogr {ogr}")
        if ok and known_codes is not None:
            ok &= _check(code in known_codes, issues, name, line, f"code_rome {code} is not a known fiche")
        if ok:
            seen.add(ogr)
            masculine, feminine = gender_forms(label)
            yield JobTitle(
                ogr_code=ogr,
                label=label,
                short_label=short or label,
                rome_code=code,
                masculine=masculine,
                feminine=feminine,
                is_main=row.get("classification", "") == "PRINCIPALE",
                is_rare=row.get("peu_usite", "") == "O",
                parent_rome_code=row.get("code_rome_parent", ""),
            )


def iter_items(path: Path, issues: list[Issue]) -> Iterator[Item]:
    """Stream ``unix_item`` rows (all skills, knowledge and work contexts) as :class:`Item`."""
    name = path.name
    seen: set[str] = set()
    for line, row in iter_csv(path, REQUIRED_COLUMNS["item"], issues):
        ogr, label, rubric = row["code_ogr"], row["libelle"], row["code_rubrique"]
        ok = _ogr_ok(ogr, "code_ogr", issues, name, line)
        ok &= _check(bool(label), issues, name, line, "empty libelle")
        ok &= _check(rubric in ITEM_KINDS, issues, name, line, f"unknown code_rubrique {rubric!r}")
        ok &= _check(ogr not in seen, issues, name, line, f"duplicate code_ogr {ogr}")
        if ok:
            seen.add(ogr)
            yield Item(ogr_code=ogr, label=label, kind=ITEM_KINDS[rubric])


def iter_item_categories(path: Path, kind: str, issues: list[Issue]) -> Iterator[tuple[str, str, str, str]]:
    """Stream (ogr code, label, category, subcategory) from the competence or savoir referential."""
    name = path.name
    if kind == "referentiel_competence":
        code_col, label_col, cat_col, sub_col = "code_ogr", "libelle_competence", "cat_comp", "sous_cat_comp"
    else:
        code_col, label_col, cat_col, sub_col = (
            "code_ogr_savoir",
            "libelle_savoir",
            "categorie_savoir",
            "sous_categorie_savoir",
        )
    for line, row in iter_csv(path, REQUIRED_COLUMNS[kind], issues):
        ogr, label = row[code_col], row[label_col]
        ok = _ogr_ok(ogr, code_col, issues, name, line)
        ok &= _check(bool(label), issues, name, line, f"empty {label_col}")
        if ok:
            yield ogr, label, row.get(cat_col, ""), row.get(sub_col, "")


def iter_item_links(
    path: Path, issues: list[Issue], known_codes: set[str] | None = None, known_items: set[str] | None = None
) -> Iterator[ItemLink]:
    """Stream occupation -> item links from ``unix_coherence_item``."""
    name = path.name
    for line, row in iter_csv(path, REQUIRED_COLUMNS["coherence_item"], issues):
        code, ogr = row["code_rome"], row["code_ogr"]
        ok = _rome_code_ok(code, "code_rome", issues, name, line)
        ok &= _ogr_ok(ogr, "code_ogr", issues, name, line)
        if ok and known_codes is not None:
            ok &= _check(code in known_codes, issues, name, line, f"code_rome {code} is not a known fiche")
        if ok and known_items is not None:
            ok &= _check(ogr in known_items, issues, name, line, f"code_ogr {ogr} is not a known item")
        if ok:
            yield ItemLink(rome_code=code, item_code=ogr, core=row["coeur_metier"])


def iter_mobility(
    path: Path, issues: list[Issue], known_codes: set[str] | None = None
) -> Iterator[MobilityLink]:
    """Stream mobility links from ``unix_rubrique_mobilite``."""
    name = path.name
    for line, row in iter_csv(path, REQUIRED_COLUMNS["rubrique_mobilite"], issues):
        source, target, rank = row["code_rome"], row["code_rome_cible"], row["numero_ordre"]
        ok = _rome_code_ok(source, "code_rome", issues, name, line)
        ok &= _rome_code_ok(target, "code_rome_cible", issues, name, line)
        ok &= _check(rank.isdigit(), issues, name, line, f"numero_ordre {rank!r} is not a positive integer")
        if ok and known_codes is not None:
            for col, code in (("code_rome", source), ("code_rome_cible", target)):
                ok &= _check(code in known_codes, issues, name, line, f"{col} {code} is not a known fiche")
        if ok:
            yield MobilityLink(source=source, target=target, rank=int(rank))


def iter_texts(path: Path, issues: list[Issue]) -> Iterator[tuple[str, str, int, str]]:
    """Stream (code_rome, text type, sentence position, sentence) from ``unix_texte``."""
    name = path.name
    for line, row in iter_csv(path, REQUIRED_COLUMNS["texte"], issues):
        code, position = row["code_rome"], row["position_phrase"]
        ok = _rome_code_ok(code, "code_rome", issues, name, line)
        ok &= _check(
            position.isdigit(), issues, name, line, f"position_phrase {position!r} is not an integer"
        )
        if ok:
            # the publisher's export doubles apostrophes in this file only ("L''aide-soignant")
            yield code, row["libelle_type_texte"], int(position), row["libelle_texte"].replace("''", "'")


def iter_domains(files: RomeFiles, issues: list[Issue]) -> Iterator[Domain]:
    """Stream the grands domaines then the domaines professionnels of the fiche tree."""
    path = files.path("grand_domaine")
    if path is not None:
        for line, row in iter_csv(path, REQUIRED_COLUMNS["grand_domaine"], issues):
            code, label = row["code_grand_domaine"], row["libelle_grand_domaine"]
            if _check(
                bool(GRAND_DOMAIN_CODE.match(code)), issues, path.name, line, f"bad grand domaine {code!r}"
            ):
                yield Domain(code=code, label=label)
    path = files.path("domaine_professionnel")
    if path is not None:
        for line, row in iter_csv(path, REQUIRED_COLUMNS["domaine_professionnel"], issues):
            code, label = row["code_domaine_professionnel"], row["libelle_domaine_professionnel"]
            if _check(bool(DOMAIN_CODE.match(code)), issues, path.name, line, f"bad domaine {code!r}"):
                yield Domain(code=code, label=label, parent_code=code[0])


# --------------------------------------------------------------------------- whole set


def read_rome(directory: str | Path) -> RomeReferential:
    """Read and validate a whole ROME set.

    Parameters
    ----------
    directory : str or Path
        Folder with the official ``unix_*_v<version>_utf8.csv`` files (or the shipped sample).

    Returns
    -------
    RomeReferential
        Valid records and the list of issues (file, line, message). Rows with errors are left
        out; nothing is raised for row-level problems.

    Raises
    ------
    BadInputError
        When the folder or a required file is missing (see :func:`find_rome_files`).
    """
    files = find_rome_files(directory)
    issues: list[Issue] = []
    occupations = {o.code: o for o in iter_occupations(files.paths["referentiel_code_rome"], issues)}
    known = set(occupations)
    path = files.paths["referentiel_code_rome"]
    for occ in occupations.values():
        if occ.parent_code and occ.parent_code not in known:
            issues.append(
                Issue(path.name, 0, f"code_rome_parent {occ.parent_code} of {occ.code} is not a known fiche")
            )
    job_titles = list(iter_job_titles(files.paths["referentiel_appellation"], issues, known))

    items: dict[str, Item] = {}
    if (path := files.path("item")) is not None:
        items = {i.ogr_code: i for i in iter_items(path, issues)}
    for kind in ("referentiel_competence", "referentiel_savoir"):
        if (path := files.path(kind)) is None:
            continue
        for ogr, label, category, subcategory in iter_item_categories(path, kind, issues):
            item = items.get(ogr)
            if item is None:
                # an item only listed in the competence/savoir referential (e.g. a macro-compétence)
                item_kind = "savoir" if kind == "referentiel_savoir" else "savoir_faire"
                items[ogr] = Item(ogr, label, item_kind, category, subcategory)
            else:
                items[ogr] = Item(ogr, item.label, item.kind, category, subcategory)

    item_links: list[ItemLink] = []
    if (path := files.path("coherence_item")) is not None:
        item_links = list(iter_item_links(path, issues, known, set(items) if items else None))
    mobility: list[MobilityLink] = []
    if (path := files.path("rubrique_mobilite")) is not None:
        mobility = list(iter_mobility(path, issues, known))
    domains = {d.code: d for d in iter_domains(files, issues)}

    domain_of: dict[str, str] = {}
    if (path := files.path("cr_gd_dp")) is not None:
        for line, row in iter_csv(path, REQUIRED_COLUMNS["cr_gd_dp"], issues):
            code, dom = row["code_rome"], row["code_domaine_professionel"]
            ok = _rome_code_ok(code, "code_rome", issues, path.name, line)
            if ok and domains:
                ok &= _check(
                    dom in domains, issues, path.name, line, f"code_domaine_professionel {dom} unknown"
                )
            if ok:
                domain_of[code] = dom
    texts: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    if (path := files.path("texte")) is not None:
        for code, kind, position, sentence in iter_texts(path, issues):
            texts[code, kind].append((position, sentence))
    for code, occ in list(occupations.items()):
        definition = " ".join(s for _, s in sorted(texts.get((code, "definition"), [])))
        access = " ".join(s for _, s in sorted(texts.get((code, "acces_metier"), [])))
        occupations[code] = Occupation(
            code=occ.code,
            label=occ.label,
            ogr_code=occ.ogr_code,
            parent_code=occ.parent_code,
            domain_code=domain_of.get(code, ""),
            definition=definition,
            access=access,
            is_regulated=occ.is_regulated,
            is_executive=occ.is_executive,
        )
    return RomeReferential(
        version=files.version,
        occupations=occupations,
        job_titles=job_titles,
        items=items,
        item_links=item_links,
        mobility=mobility,
        domains=domains,
        issues=issues,
        release=files.release,
    )
