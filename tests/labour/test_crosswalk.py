"""ROME ↔ ESCO crosswalk: the Django-free reader (headers by name, relations, line-numbered
errors), the import (all or nothing, idempotent, Occupation.esco_uri), and where it shows (fiche
page, portal page, API both ways)."""

import json
import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from parcours.labour import importers
from parcours.labour.models import EscoOccupation, EscoOccupationSkill, Occupation, RomeEscoMatch
from parcours.stats.labour import crosswalk
from parcours.stats.labour.crosswalk import CrosswalkLink, choose_per_fiche, iter_crosswalk, parse_relation
from tests.labour.conftest import FIXTURES

SAMPLE = FIXTURES / "esco_rome_sample"
MAPPING = SAMPLE / "correspondance_rome_esco.csv"
ESCO = "http://data.europa.eu/esco/occupation/"
AIDE = ESCO + "87d0795a-d41f-47ee-979f-0ab7d73836e7"  # aide-soignant/aide-soignante
AIDE_DOMICILE = ESCO + "85482504-c83d-4038-80d9-265198d18b48"


def _read(tmp_path, text, name="mapping.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    issues = []
    return list(iter_crosswalk(path, issues)), issues


# --------------------------------------------------------------------------- reader (no database)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("exactMatch", "exactMatch"),
        ("skos:closeMatch", "closeMatch"),
        ("http://www.w3.org/2004/02/skos/core#broadMatch", "broadMatch"),
        ("NARROW", "narrowMatch"),
        (" related ", "relatedMatch"),
        ("équivalent", None),
        ("", None),
    ],
)
def test_relations_are_read_in_their_published_spellings(value, expected):
    assert parse_relation(value) == expected


def test_the_committed_sample_reads_without_issue():
    issues = []
    links = list(iter_crosswalk(MAPPING, issues))
    assert issues == []
    assert len(links) == 21
    first = links[0]
    assert (first.rome_code, first.code_ogr, first.relation, first.line) == ("D1106", "", "narrowMatch", 2)
    assert sum(1 for link in links if link.code_ogr) == 4


def test_columns_are_found_by_name_whatever_the_release_calls_them(tmp_path):
    text = "conceptUri,Intitulé,codeRome,mappingRelation\n" + f"{AIDE},aide-soignant,j1501,exactMatch\n"
    links, issues = _read(tmp_path, text)
    assert issues == []
    assert links == [CrosswalkLink("J1501", AIDE, "exactMatch", "", 2)]


def test_a_file_without_relation_column_gives_unspecified_links(tmp_path):
    links, issues = _read(tmp_path, f"code_ogr;uri_esco\n10891;{AIDE}\n")
    assert issues == []
    assert links == [CrosswalkLink("", AIDE, "", "10891", 2)]


def test_a_file_without_the_needed_columns_is_one_issue_at_line_1(tmp_path):
    _links, issues = _read(tmp_path, f"libelle;uri_esco\naide;{AIDE}\n")
    assert [(i.line, i.message) for i in issues] == [
        (1, "no a ROME code or OGR code column (columns: libelle, uri_esco)")
    ]
    _links, issues = _read(tmp_path, "code_rome;libelle\nJ1501;aide\n")
    assert issues[0].line == 1 and issues[0].message.startswith("no an ESCO URI column")


def test_each_bad_row_is_reported_with_its_line_and_skipped(tmp_path):
    text = (
        "code_rome,code_ogr,uri_esco,relation\n"
        f"J1501,,{AIDE},exactMatch\n"  # 2 fine
        f"J15,,{AIDE},exactMatch\n"  # 3 bad ROME code
        f"J1501,abc,{AIDE},exactMatch\n"  # 4 bad OGR code
        "J1501,,http://example.org/x,exactMatch\n"  # 5 not an ESCO occupation URI
        f"J1501,,{AIDE},équivalent\n"  # 6 unknown relation
        f",,{AIDE},exactMatch\n"  # 7 neither code
        f"J1501,,{AIDE},closeMatch\n"  # 8 same link as line 2
    )
    links, issues = _read(tmp_path, text)
    assert [link.line for link in links] == [2]
    assert [i.line for i in issues] == [3, 4, 5, 6, 7, 8]
    assert issues[0].message == "ROME code 'J15' is not a letter and four digits"
    assert issues[-1].message == "same link as line 2"


def test_a_ragged_row_names_its_line(tmp_path):
    links, issues = _read(tmp_path, f"code_rome;uri_esco\nJ1501;{AIDE}\nK1302\n")
    assert [link.line for link in links] == [2]
    assert [(i.file, i.line) for i in issues] == [("mapping.csv", 3)]
    assert "1 field(s) where the header has 2" in issues[0].message


def test_a_latin1_file_is_one_issue(tmp_path):
    path = tmp_path / "mapping.csv"
    path.write_bytes("code_rome;uri_esco;libellé\n".encode("latin-1"))
    issues = []
    assert list(iter_crosswalk(path, issues)) == []
    assert issues[0].line == 1 and "not UTF-8" in issues[0].message


def test_one_link_stands_for_each_fiche():
    links = [
        CrosswalkLink("J1501", "b", "closeMatch"),
        CrosswalkLink("J1501", "a", "exactMatch", "10892"),  # exact beats close, even via a title
        CrosswalkLink("K1303", "c", "exactMatch", "11480"),
        CrosswalkLink("K1303", "d", "exactMatch", "15196"),  # the main title wins the tie
        CrosswalkLink("K1302", "e", ""),
        CrosswalkLink("K1302", "f", "relatedMatch"),  # unspecified comes last
        CrosswalkLink("M1607", "h", "exactMatch", "1"),
        CrosswalkLink("M1607", "g", "exactMatch"),  # the fiche's own link before a title's
    ]
    assert choose_per_fiche(links, {"K1303": "15196"}) == {
        "J1501": "a",
        "K1303": "d",
        "K1302": "f",
        "M1607": "g",
    }


def test_the_reader_is_django_free():
    with open(crosswalk.__file__, encoding="utf-8") as handle:
        source = handle.read()
    assert "import django" not in source and "from django" not in source


# --------------------------------------------------------------------------- import


@pytest.fixture
def rome(db):
    return importers.import_rome(FIXTURES / "rome_sample", fit=False)


def test_the_crosswalk_is_imported_with_the_esco_folder_and_fills_esco_uri(rome):
    report = importers.import_esco(SAMPLE, mapping=MAPPING, fit=False)
    assert not report.errors
    assert report.counts["rome_esco_links"] == {"created": 21, "updated": 0, "deleted": 0, "unchanged": 0}
    assert RomeEscoMatch.objects.count() == 21
    by_code = dict(Occupation.objects.values_list("rome_code", "esco_uri"))
    assert by_code["J1501"] == AIDE  # the fiche's exact link, not its job title's
    assert sum(1 for uri in by_code.values() if uri) == 18  # every fiche the crosswalk names
    assert by_code["K1303"].startswith(ESCO)  # through its only link, a job title's
    assert by_code["G1602"] == ""  # not in the crosswalk
    assert report.counts["occupations_esco_uri"] == {"updated": 18, "unchanged": 0}
    title_link = RomeEscoMatch.objects.get(job_title__code_ogr="10892")
    assert (title_link.occupation.rome_code, title_link.esco_occupation.uri) == ("J1501", AIDE_DOMICILE)


def test_reimport_changes_nothing_and_a_changed_file_is_followed(rome, tmp_path):
    importers.import_esco(SAMPLE, mapping=MAPPING, fit=False)
    again = importers.import_esco(SAMPLE, mapping=MAPPING, fit=False)
    assert again.counts["rome_esco_links"] == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 21}
    assert again.counts["occupations_esco_uri"] == {"updated": 0, "unchanged": 18}
    lines = MAPPING.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("J1501;") or "10892" in line]
    kept = [line.replace("skos:exactMatch", "skos:closeMatch") if "10892" in line else line for line in kept]
    changed = tmp_path / "mapping.csv"
    changed.write_text("\n".join(kept) + "\n", encoding="utf-8")
    report = importers.import_esco(SAMPLE, mapping=changed, fit=False)
    assert report.counts["rome_esco_links"] == {"created": 0, "updated": 1, "deleted": 1, "unchanged": 19}
    # the fiche's own link is gone: its job title's link now stands for it
    assert Occupation.objects.get(rome_code="J1501").esco_uri == AIDE_DOMICILE


def test_one_bad_row_aborts_everything_with_its_line_unless_asked(rome, tmp_path):
    text = MAPPING.read_text(encoding="utf-8")
    bad = tmp_path / "mapping.csv"
    bad.write_text(
        text
        + f"N9999;Inconnu;;;{AIDE};x;skos:exactMatch\n"  # line 23: unknown fiche
        + f"J1501;Aide-soignant;11480;Baby-sitter;{AIDE};x;skos:closeMatch\n"  # 24: another fiche's title
        + f"J1501;Aide-soignant;;;{ESCO}00000000-0000-4000-8000-000000000099;x;exactMatch\n",  # 25
        encoding="utf-8",
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "labour", "import-esco", str(SAMPLE), "--mapping", str(bad), "--no-fit", "--no-progress", "--json",
            stdout=out, stderr=err,
        )  # fmt: skip
    assert caught.value.returncode == 2
    report = json.loads(out.getvalue())
    assert report["errors"] == 3 and report["aborted"]
    assert [(i["file"], i["line"], i["message"]) for i in report["issues"]] == [
        ("mapping.csv", 23, "ROME code N9999 is not in the imported ROME"),
        ("mapping.csv", 24, "OGR code 11480 is a job title of K1303, not of J1501"),
        ("mapping.csv", 25, f"{ESCO}00000000-0000-4000-8000-000000000099 is not an imported ESCO occupation"),
    ]
    assert "mapping.csv:23: error: ROME code N9999" in err.getvalue()
    assert RomeEscoMatch.objects.count() == 0 and EscoOccupation.objects.count() == 0
    report = importers.import_esco(SAMPLE, mapping=bad, fit=False, skip_invalid=True)
    assert len(report.errors) == 3 and RomeEscoMatch.objects.count() == 21


def test_the_crosswalk_needs_the_rome_first(db):
    with pytest.raises(CommandError) as caught:
        call_command(
            "labour", "import-esco", str(SAMPLE), "--mapping", str(MAPPING), "--no-fit", "--no-progress",
            stderr=StringIO(),
        )  # fmt: skip
    assert caught.value.returncode == 2
    assert "import-rome first" in str(caught.value)


def test_the_command_reports_the_links(rome, tmp_path):
    folder = tmp_path / "esco"
    shutil.copytree(SAMPLE, folder)
    out = StringIO()
    call_command(
        "labour", "import-esco", str(folder), "--mapping", str(folder / MAPPING.name), "--no-fit",
        "--no-progress", stdout=out,
    )  # fmt: skip
    assert "rome_esco_links=21" in out.getvalue()
    assert "occupations_esco_uri=18" in out.getvalue()


# --------------------------------------------------------------------------- where it shows


@pytest.fixture
def crosswalk_with_skills(rome):
    """The sample with its ESCO skills and hand-chosen relations; the home-care occupation's
    relations removed, to show a linked occupation without skills."""
    importers.import_esco(SAMPLE, mapping=MAPPING, fit=False)
    EscoOccupationSkill.objects.filter(occupation__uri=AIDE_DOMICILE).delete()
    return EscoOccupation.objects.get(uri=AIDE)


def test_the_fiche_page_shows_its_esco_links_and_their_skills(
    client, counselor, crosswalk_with_skills, django_assert_max_num_queries
):
    client.force_login(counselor)
    with django_assert_max_num_queries(40):
        response = client.get(reverse("labour:occupation_detail", args=["J1501"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Correspondance européenne (ESCO)" in text
    assert "2 métiers ESCO liés" in text
    chosen = text.index("aide-soignant/aide-soignante</strong>")
    assert text.index("retenu pour la fiche") > chosen
    assert text.index("aide-soignant à domicile/aide-soignante à domicile</strong>") > chosen
    assert "pour l'appellation « Aide-soignant / Aide-soignante à domicile »" in text
    assert "3 compétences ESCO essentielles · 1 optionnelle" in text
    assert "respecter les normes d’hygiène personnelle" in text
    assert "Compétences ESCO non importées pour ce métier." in text  # the home-care one has none


def test_a_fiche_without_link_has_no_esco_section(client, counselor, crosswalk_with_skills):
    client.force_login(counselor)
    response = client.get(reverse("labour:occupation_detail", args=["G1602"]))
    assert response.status_code == 200
    assert "Correspondance européenne" not in response.content.decode()


def test_the_api_gives_the_links_and_the_way_back(client, counselor, crosswalk_with_skills):
    client.force_login(counselor)
    detail = client.get("/api/v1/occupations/J1501").json()
    assert detail["esco_uri"] == AIDE
    assert [(m["uri"], m["relation"], m["is_chosen"]) for m in detail["esco"]] == [
        (AIDE, "exactMatch", True),
        (AIDE_DOMICILE, "exactMatch", False),
    ]
    assert detail["esco"][0]["essential_skills"] == [
        "aider des patients à être autonomes dans leurs activités quotidiennes",
        "participer aux soins sous la supervision du personnel infirmier",
        "respecter les normes d’hygiène personnelle",
    ]
    assert detail["esco"][0]["optional_skills"] == ["distribuer des repas aux patients"]
    back = client.get("/api/v1/esco/occupation", {"uri": AIDE})
    assert back.status_code == 200
    body = back.json()
    assert body["label"] == "aide-soignant/aide-soignante" and body["isco_group"] == "5321"
    assert [(r["rome_code"], r["relation"], r["job_title"]) for r in body["rome"]] == [
        ("J1501", "exactMatch", "")
    ]
    assert body["rome"][0]["skills"]  # the ROME skills travel to the ESCO occupation
    assert client.get("/api/v1/esco/occupation", {"uri": ESCO + "unknown"}).status_code == 404
    assert client.get("/api/v1/esco/occupation").status_code == 422
