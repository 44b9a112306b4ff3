"""ROME 4.0 and ESCO readers: the shipped samples, validation issues, the full official set."""

import csv
import os
import shutil
from pathlib import Path

import pytest

from parcours.stats.errors import BadInputError
from parcours.stats.labour.esco import read_esco_occupations, split_labels
from parcours.stats.labour.rome import find_rome_files, gender_forms, read_rome

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "parcours" / "labour" / "fixtures" / "rome_sample"
ESCO_SAMPLE = ROOT / "parcours" / "labour" / "fixtures" / "esco_sample"
# No default: .ci/run and `make bench` pass ROME_DATA_DIR=../shared/data/rome4 explicitly.
ROME_DATA_DIR = Path(os.environ.get("ROME_DATA_DIR") or "/nonexistent/ROME_DATA_DIR-unset")
needs_official = pytest.mark.skipif(
    not (ROME_DATA_DIR / "unix_referentiel_code_rome_v460_utf8.csv").is_file(),
    reason=f"official ROME 4.0 files not found (ROME_DATA_DIR={os.environ.get('ROME_DATA_DIR', '')!r})",
)


@pytest.fixture(scope="module")
def sample():
    return read_rome(SAMPLE)


@pytest.fixture(scope="module")
def official():
    return read_rome(ROME_DATA_DIR)


def _copy_sample(tmp_path: Path) -> Path:
    target = tmp_path / "rome"
    shutil.copytree(SAMPLE, target)
    return target


def _append_rows(path: Path, rows: list[list[str]]) -> int:
    """Append rows in the official quoting; return the physical line of the first one."""
    first = len(path.read_text(encoding="utf-8").splitlines()) + 1
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return first


# --------------------------------------------------------------------------- sample


def test_sample_reads_without_issues_and_has_the_demo_fiches(sample):
    assert sample.issues == []
    assert sample.version == "460"
    assert sample.release["numero de version"] == "60"
    assert len(sample.occupations) == 25
    assert len(sample.job_titles) == 349
    assert len(sample.items) == 1237
    assert len(sample.item_links) == 1802
    assert len(sample.mobility) == 26
    for code in ("J1501", "M1805", "M1855", "M1602", "M1607", "K2204", "N1103", "G1602", "G1803", "N4101"):
        assert code in sample.occupations
    assert sample.occupations["J1501"].label == "Aide-soignant / Aide-soignante"
    assert sample.occupations["J1501"].domain_code == "J15"
    assert sample.domains["J15"].parent_code == "J"


def test_sample_is_referentially_complete(sample):
    codes = set(sample.occupations)
    assert {t.rome_code for t in sample.job_titles} == codes
    assert all(link.item_code in sample.items for link in sample.item_links)
    assert all(m.source in codes and m.target in codes for m in sample.mobility)
    # every fiche has exactly one main appellation, and it repeats the fiche label
    mains = [t for t in sample.job_titles if t.is_main]
    assert sorted(t.rome_code for t in mains) == sorted(codes)
    assert all(sample.occupations[t.rome_code].label == t.label for t in mains)


def test_sample_definitions_are_joined_and_apostrophes_undoubled(sample):
    definition = sample.occupations["J1501"].definition
    assert definition.startswith("L'aide-soignant apporte un soutien")
    assert "''" not in definition
    assert sample.occupations["J1501"].access.startswith("Cet emploi est accessible")


def test_sample_core_items_are_the_flagged_coherence_links(sample):
    core = sample.items_by_code(core_only=True)
    with (SAMPLE / "unix_coherence_item_v460_utf8.csv").open(encoding="utf-8", newline="") as handle:
        expected = {
            r["code_ogr"] for r in csv.DictReader(handle) if r["code_rome"] == "J1501" and r["coeur_metier"]
        }
    assert core["J1501"] == expected
    assert len(expected) > 5


@needs_official
def test_sample_rows_are_copied_unchanged_from_the_official_files():
    for path in SAMPLE.glob("unix_*.csv"):
        official_lines = set((ROME_DATA_DIR / path.name).read_text(encoding="utf-8").splitlines())
        sample_lines = path.read_text(encoding="utf-8").splitlines()
        assert set(sample_lines) <= official_lines, path.name


# --------------------------------------------------------------------------- files and versions


def test_find_rome_files_accepts_any_version_number(tmp_path):
    target = tmp_path / "v999"
    target.mkdir()
    for path in SAMPLE.glob("unix_*.csv"):
        shutil.copyfile(path, target / path.name.replace("_v460_", "_v999_"))
    files = find_rome_files(target)
    assert files.version == "999"
    assert files.release == {}
    assert read_rome(target).version == "999"


def test_find_rome_files_rejects_mixed_versions_and_missing_files(tmp_path):
    target = _copy_sample(tmp_path)
    shutil.copyfile(target / "unix_item_v460_utf8.csv", target / "unix_item_v461_utf8.csv")
    with pytest.raises(BadInputError, match="mixed ROME versions"):
        find_rome_files(target)
    (target / "unix_item_v461_utf8.csv").unlink()
    (target / "unix_referentiel_appellation_v460_utf8.csv").unlink()
    with pytest.raises(BadInputError, match=r"missing ROME file.*referentiel_appellation"):
        find_rome_files(target)
    with pytest.raises(BadInputError, match="not found"):
        find_rome_files(tmp_path / "nowhere")


# --------------------------------------------------------------------------- validation


def test_broken_copy_reports_every_problem_with_file_and_line(tmp_path):
    target = _copy_sample(tmp_path)
    appellations = target / "unix_referentiel_appellation_v460_utf8.csv"
    blank = [""] * 9
    line = _append_rows(
        appellations,
        [
            ["99990001", "Testeur / Testeuse", "Testeur / Testeuse", "A9999", *blank],  # unknown fiche
            ["99990002", "", "", "J1501", *blank],  # empty label
            ["99990003", "Mauvais code", "Mauvais code", "J15", *blank],  # bad code format
            ["99990004", "Trop court"],  # wrong number of fields
        ],
    )
    links = target / "unix_coherence_item_v460_utf8.csv"
    link_line = _append_rows(links, [["J1501", "999999999", ""], ["X1501", "abc", ""]])
    mobility = target / "unix_rubrique_mobilite_v460_utf8.csv"
    mob_line = _append_rows(mobility, [["J1501", "K1303", "un"]])

    ref = read_rome(target)
    found = {(i.file, i.line, i.message) for i in ref.errors}
    name = appellations.name
    assert (name, line, "code_rome A9999 is not a known fiche") in found
    assert (name, line + 1, "empty libelle_appellation_long") in found
    assert (name, line + 2, "code_rome 'J15' is not a ROME code (A1234)") in found
    assert (name, line + 3, "expected 13 fields, found 2") in found
    assert (links.name, link_line, "code_ogr 999999999 is not a known item") in found
    assert (links.name, link_line + 1, "code_rome 'X1501' is not a ROME code (A1234)") in found
    assert (links.name, link_line + 1, "code_ogr 'abc' is not a numeric OGR code") in found
    assert (mobility.name, mob_line, "numero_ordre 'un' is not a positive integer") in found
    assert len(ref.errors) == 8
    # the good rows are still read
    assert len(ref.job_titles) == 349
    assert str(ref.errors[0]).startswith(f"{name}:{line}: error: ")


def test_missing_column_is_reported_on_line_one_and_the_file_skipped(tmp_path):
    target = _copy_sample(tmp_path)
    path = target / "unix_rubrique_mobilite_v460_utf8.csv"
    text = path.read_text(encoding="utf-8").replace('"numero_ordre"', '"ordre"', 1)
    path.write_text(text, encoding="utf-8")
    ref = read_rome(target)
    assert ref.mobility == []
    [issue] = ref.issues
    assert (issue.file, issue.line) == (path.name, 1)
    assert issue.message.startswith(
        "missing column(s) numero_ordre (available: code_rome, code_rome_cible, ordre)"
    )


def test_duplicate_codes_are_reported(tmp_path):
    target = _copy_sample(tmp_path)
    path = target / "unix_referentiel_code_rome_v460_utf8.csv"
    line = _append_rows(path, [["J1501", "1", "357", "Doublon", "", "", "", "", "", "J1501"]])
    ref = read_rome(target)
    assert [(i.line, i.message) for i in ref.errors] == [(line, "duplicate code_rome J1501")]
    assert ref.occupations["J1501"].label == "Aide-soignant / Aide-soignante"


def test_multiline_field_errors_point_at_the_record_start(tmp_path):
    target = _copy_sample(tmp_path)
    path = target / "unix_texte_v460_utf8.csv"
    line = _append_rows(
        path, [["J1501", "3", "definition", "99", "deux\nlignes"], ["J1501", "3", "definition", "x", "t"]]
    )
    ref = read_rome(target)
    assert [(i.line, i.message) for i in ref.errors] == [(line + 2, "position_phrase 'x' is not an integer")]
    assert ref.occupations["J1501"].definition.endswith("deux\nlignes")


@pytest.mark.parametrize(
    ("label", "masculine", "feminine"),
    [
        (
            "Agent / Agente de nettoyage industriel",
            "Agent de nettoyage industriel",
            "Agente de nettoyage industriel",
        ),
        (
            "Commis de cuisine tournant / Commise de cuisine tournante",
            "Commis de cuisine tournant",
            "Commise de cuisine tournante",
        ),
        (
            "Assistant(e) maternel(le) du particulier employeur",
            "Assistant maternel du particulier employeur",
            "Assistante maternelle du particulier employeur",
        ),
        (
            "Chauffeur(se)-livreur(se) préparateur(trice) de commandes",
            "Chauffeur-livreur préparateur de commandes",
            "Chauffeuse-livreuse préparatrice de commandes",
        ),
        (
            "Agent / Agente de service hospitalier (ASH)",
            "Agent de service hospitalier (ASH)",
            "Agente de service hospitalier (ASH)",
        ),
        ("Secrétaire", "Secrétaire", "Secrétaire"),
    ],
)
def test_gender_forms_split_rome_labels(label, masculine, feminine):
    assert gender_forms(label) == (masculine, feminine)


# --------------------------------------------------------------------------- official set


@needs_official
def test_full_official_set_reads_with_the_published_counts(official):
    assert official.issues == []
    assert official.version == "460"
    assert len(official.occupations) == 1584
    assert len(official.job_titles) == 13120
    assert len(official.items) == 33850
    assert len(official.item_links) == 104219
    assert len(official.mobility) == 14912
    assert sum(t.is_main for t in official.job_titles) == 1584
    kinds = {i.kind for i in official.items.values()}
    assert kinds == {"savoir_faire", "savoir_etre", "savoir", "work_context"}


# --------------------------------------------------------------------------- ESCO


def test_esco_samples_read_in_both_languages():
    fr = read_esco_occupations(ESCO_SAMPLE / "occupations_fr.csv")
    en = read_esco_occupations(ESCO_SAMPLE / "occupations_en.csv")
    assert fr.issues == [] and en.issues == []
    assert (fr.language, en.language) == ("fr", "en")
    assert len(fr.occupations) == len(en.occupations) == 21
    assert [o.uri for o in fr.occupations] == [o.uri for o in en.occupations]
    care = fr.occupations[0]
    assert care.preferred_label == "aide-soignant/aide-soignante"
    assert care.alt_labels == (
        "aide-soignante",
        "aide-soignant",
        "aide-soignant en EHPAD",
        "aide-soignante de nuit",
    )
    assert (care.isco_group, care.code) == ("5321", "5321.1")
    assert len(care.in_scheme) == 2
    labels, uris = fr.label_pairs()
    assert len(labels) == len(uris) == sum(len(o.labels) for o in fr.occupations)


HEADER = (
    "conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,"
    "regulatedProfessionNote,scopeNote,definition,inScheme,description,code,naceCode\n"
)
URI = "http://data.europa.eu/esco/occupation/"


def test_esco_reader_splits_multiline_labels_and_reports_physical_lines(tmp_path):
    path = tmp_path / "occupations_de.csv"
    path.write_text(
        HEADER
        + f'Occupation,{URI}a1,5321,Pflegehelfer,"Pflegehelferin\nPflegeassistent\n\nAltenpflegehelfer",,released,,,,,,,5321.1,\n'
        + "Occupation,not-a-uri,5321,Helfer,,,released,,,,,,,5321.2,\n"
        + f"Occupation,{URI}a3,532,,,,released,,,,,,,9999.1,\n"
        + f'Occupation,{URI}a1,5321,Doppelt,"x\ny",,released,,,,,,,5321.3,\n'
        + f"Skill,{URI}a5,5321,Fehl,,,released,,,,,,,5321.4\n"
        + f"Occupation,{URI}a6,9112,Reinigungskraft,,Putzfrau,released,,,,,,,9112.1,C81\n",
        encoding="utf-8",
    )
    result = read_esco_occupations(path)
    assert result.language == "de"
    assert [o.preferred_label for o in result.occupations] == ["Pflegehelfer", "Reinigungskraft"]
    assert result.occupations[0].alt_labels == ("Pflegehelferin", "Pflegeassistent", "Altenpflegehelfer")
    assert result.occupations[1].hidden_labels == ("Putzfrau",)
    assert result.occupations[1].extra == {"naceCode": "C81"}
    # the first record spans physical lines 2-5 and the fourth lines 8-9
    assert [(i.line, i.message) for i in result.errors] == [
        (6, "conceptUri 'not-a-uri' is not an ESCO occupation URI"),
        (7, "empty preferredLabel"),
        (7, "iscoGroup '532' is not a 4-digit ISCO-08 unit group"),
        (7, "code 9999.1 does not belong to iscoGroup 532"),
        (8, f"duplicate conceptUri {URI}a1"),
        (10, "expected 15 fields, found 14"),
    ]
    assert all(i.file == "occupations_de.csv" for i in result.issues)


def test_esco_reader_reports_missing_columns_and_files(tmp_path):
    path = tmp_path / "occupations_fr.csv"
    path.write_text("conceptType,uri,preferredLabel\nOccupation,x,y\n", encoding="utf-8")
    [issue] = read_esco_occupations(path).issues
    assert (issue.line, issue.message) == (
        1,
        "missing column(s) conceptUri (available: conceptType, uri, preferredLabel)",
    )
    with pytest.raises(BadInputError, match="ESCO file not found"):
        read_esco_occupations(tmp_path / "occupations_xx.csv")


def test_split_labels_drops_blanks_and_duplicates():
    assert split_labels(" a \n\nb\r\na\n") == ("a", "b")
