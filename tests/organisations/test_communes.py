"""Communes: the one resolver (name, postcode, INSEE code, suggestion), the import of the official
INSEE and La Poste files, and the inputs that use them (public catalogue, person API)."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from parcours.organisations import communes
from parcours.organisations.models import Postcode, Territory
from tests.cli.helpers import run_cli

FIXTURES = Path(__file__).resolve().parents[2] / "parcours" / "organisations" / "fixtures"
COMMUNES_FILE = FIXTURES / "v_commune_2024_sample.csv"
POSTCODES_FILE = FIXTURES / "019HexaSmal_sample.csv"


def _import(capsys, communes_file=COMMUNES_FILE, postcodes_file=POSTCODES_FILE, *extra):
    return run_cli(
        capsys,
        "organisations",
        "import-communes",
        "--communes",
        str(communes_file),
        "--postcodes",
        str(postcodes_file),
        "--json",
        *extra,
    )


@pytest.fixture
def sample(db, capsys):
    code, out, err = _import(capsys)
    assert (code, err) == (0, "")
    return json.loads(out)


def _codes(found):
    return [c.insee_code for c in found]


# --- Import ------------------------------------------------------------------------------------


def test_the_sample_files_are_imported(sample):
    assert sample == {
        "communes_read": 29,
        "communes_created": 29,
        "communes_updated": 0,
        "communes_unchanged": 0,
        "communes_without_departement": 29,
        "postcodes_read": 85,
        "postcodes_created": 84,
        "postcodes_deleted": 0,
        "postcodes_unchanged": 0,
        "postcode_lines_skipped": 1,
        "skipped_codes": ["99138"],
    }
    assert Territory.objects.filter(level="commune").count() == 29  # no arrondissement, no COMA/COMD
    marseille = Territory.objects.get(level="commune", insee_code="13055")
    assert marseille.postcode_codes == [f"130{n:02d}" for n in range(1, 17)]
    assert marseille.postcode == "13001"
    lille = Territory.objects.get(level="commune", insee_code="59350")
    assert lille.postcode_codes == ["59000", "59160", "59260", "59777", "59800"]
    assert Territory.objects.get(insee_code="75056").postcode_codes[-2:] == ["75020", "75116"]
    assert Territory.objects.get(insee_code="94038").name == "L'Haÿ-les-Roses"
    assert Territory.objects.get(insee_code="2A004").postcode_codes == ["20000", "20090"]
    assert sorted(Postcode.objects.filter(code="59160").values_list("commune__name", flat=True)) == [
        "Capinghem",
        "Lille",
    ]


def test_the_import_is_idempotent_and_keeps_what_the_files_do_not_give(sample, capsys):
    lille = Territory.objects.get(insee_code="59350")
    lille.population, lille.latitude = 236_000, 50.63
    lille.save()
    Postcode.objects.create(code="59999", commune=lille)  # not in La Poste's file: removed

    code, out, err = _import(capsys)

    again = json.loads(out)
    assert (code, err) == (0, "")
    assert (again["communes_created"], again["communes_updated"], again["communes_unchanged"]) == (0, 0, 29)
    assert (again["postcodes_created"], again["postcodes_deleted"], again["postcodes_unchanged"]) == (
        0,
        1,
        84,
    )
    lille.refresh_from_db()
    assert (lille.population, lille.latitude) == (236_000, 50.63)
    assert Postcode.objects.count() == 84


def test_the_import_links_existing_departements_and_renames(db, capsys):
    nord = Territory.objects.create(level="departement", insee_code="59", name="Nord")
    old = Territory.objects.create(level="commune", insee_code="59350", name="LILLE (ancien)")

    code, out, _ = _import(capsys)

    assert code == 0
    assert json.loads(out)["communes_updated"] == 1
    old.refresh_from_db()
    assert (old.name, old.parent, old.folded_name) == ("Lille", nord, "lille")
    assert Territory.objects.get(insee_code="59527").parent == nord


def test_the_newer_utf8_postcodes_file_is_read(db, capsys, tmp_path):
    lines = POSTCODES_FILE.read_text(encoding="latin-1").splitlines()
    newer = tmp_path / "019HexaSmal.csv"
    newer.write_text(
        "\n".join(
            ["code_commune_insee;nom_de_la_commune;code_postal;libelle_d_acheminement;ligne_5", *lines[1:]]
        )
        + "\n",
        encoding="utf-8",
    )

    code, out, err = _import(capsys, COMMUNES_FILE, newer)

    assert (code, err) == (0, "")
    assert json.loads(out)["postcodes_created"] == 84


def _bad_input(capsys, tmp_path, *, communes_text=None, postcodes_bytes=None):
    communes_file, postcodes_file = COMMUNES_FILE, POSTCODES_FILE
    if communes_text is not None:
        communes_file = tmp_path / "v_commune.csv"
        communes_file.write_bytes(communes_text)
    if postcodes_bytes is not None:
        postcodes_file = tmp_path / "019HexaSmal.csv"
        postcodes_file.write_bytes(postcodes_bytes)
    code, out, err = _import(capsys, communes_file, postcodes_file)
    return code, out, err


HEADER = COMMUNES_FILE.read_bytes().split(b"\n", 1)[0] + b"\n"


@pytest.mark.parametrize(
    ("communes_text", "postcodes_bytes", "expected"),
    [
        (  # INSEE's file is UTF-8: a latin-1 é is refused with its line
            HEADER + "COM,59350,32,59,59D,,0,LILLE,Lille,Lillé,,\n".encode("latin-1"),
            None,
            "v_commune.csv:2: not UTF-8 (byte 0xe9 at column 40); save the file as UTF-8",
        ),
        (HEADER, None, "v_commune.csv: header only, no data row"),
        (
            HEADER + b"COM,59350,32,59,59D,,0,LILLE,Lille,Lille,,\nCOM,59512,32,59,59D,,0,ROUB",
            None,
            "v_commune.csv:3: truncated last line: 8 field(s) where the header has 12 (delimiter ',')",
        ),
        (
            HEADER + b"COM,5935,32,59,59D,,0,LILLE,Lille,Lille,,\n",
            None,
            "v_commune.csv:2: COM '5935' is not an INSEE code (5 characters, e.g. 59350 or 2A004)",
        ),
        (  # the newer La Poste variant is UTF-8 only
            None,
            "code_commune_insee;nom_de_la_commune;code_postal;libelle_d_acheminement;ligne_5\n"
            "59350;LILLE;59000;LILLE;\n59512;ROUBAIX;59100;ROUBAIX ÉTÉ;\n".encode("latin-1"),
            "019HexaSmal.csv:3: not UTF-8 (byte 0xc9 at column 29); save the file as UTF-8",
        ),
        (
            None,
            b"#Code_commune_INSEE;Nom_de_la_commune;Code_postal;Libell\xe9_d_acheminement;Ligne_5\n",
            "019HexaSmal.csv: header only, no data row",
        ),
        (
            None,
            b"code_commune_insee;nom_de_la_commune;code_postal;libelle_d_acheminement;ligne_5\n"
            b"59350;LILLE;59000;LILLE;\n59512;ROUBAIX;591",
            "019HexaSmal.csv:3: truncated last line: 3 field(s) where the header has 5 (delimiter ';')",
        ),
        (
            None,
            b"code_commune_insee;nom_de_la_commune;code_postal;libelle_d_acheminement;ligne_5\n59350;LILLE;5900;LILLE;\n",
            "019HexaSmal.csv:2: '5900' is not a postcode (5 digits)",
        ),
        (None, b"INSEE,CP\n59350,59000\n", "019HexaSmal.csv:1: not La Poste's postcodes file"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    db, capsys, tmp_path, communes_text, postcodes_bytes, expected
):
    code, out, err = _bad_input(
        capsys, tmp_path, communes_text=communes_text, postcodes_bytes=postcodes_bytes
    )

    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert expected in err
    assert not Territory.objects.exists() and not Postcode.objects.exists()


def test_a_failure_while_writing_leaves_the_database_as_it_was(sample, capsys, monkeypatch):
    from parcours.organisations import importers

    Territory.objects.filter(insee_code="59350").update(name="Ancien nom")

    def broken(*args, **kwargs):
        raise importers.BadInputError("disk full (simulated)")

    monkeypatch.setattr(importers, "_replace_postcodes", broken)
    code, _out, err = _import(capsys)

    assert code == 2 and "disk full (simulated)" in err
    assert Territory.objects.get(insee_code="59350").name == "Ancien nom"  # the renaming was rolled back


# --- Resolver ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        ("Lille", "59350"),
        ("  LILLE ", "59350"),
        ("lievin", "62510"),
        ("Liévin", "62510"),
        ("saint etienne", "42218"),
        ("St-Étienne (42218)", "42218"),
        ("l'hay les roses", "94038"),
        ("Marcq en Baroeul", "59378"),
        ("13008", "13055"),  # a postcode of Marseille's 8th arrondissement
        ("13 008", "13055"),
        ("59000", "59350"),
        ("2a004", "2A004"),
        ("Saint-Denis 93210", "93066"),
        ("Saint-Denis (97411)", "97411"),
        ("62300", "62498"),
    ],
)
def test_resolve_reads_names_postcodes_and_insee_codes(sample, typed, insee):
    assert communes.resolve(typed).insee_code == insee


def test_nothing_typed_is_no_commune(db):
    assert communes.resolve("  ") is None


def test_a_postcode_shared_by_several_communes_gives_the_candidates(sample):
    with pytest.raises(communes.AmbiguousCommune) as shared:
        communes.resolve("59160")

    assert _codes(shared.value.candidates) == ["59128", "59350"]  # Capinghem, Lille
    assert shared.value.message() == (
        "Plusieurs communes correspondent au code 59160 : Capinghem (59128), Lille (59350). Choisissez-en une."
    )


def test_an_insee_code_that_is_another_communes_postcode_is_ambiguous_for_a_person(sample):
    with pytest.raises(communes.AmbiguousCommune) as typed:
        communes.resolve("59350")

    assert _codes(typed.value.candidates) == ["59350", "59527"]  # Lille first: the INSEE code
    assert communes.resolve("59350", insee_first=True).name == "Lille"
    assert communes.resolve("13001", insee_first=True).name == "Aix-en-Provence"


def test_a_name_shared_by_several_communes_gives_the_candidates(sample):
    with pytest.raises(communes.AmbiguousCommune) as typed:
        communes.resolve("saint denis")

    assert {c.insee_code for c in typed.value.candidates} == {"93066", "97411"}


def test_an_unknown_name_suggests_what_starts_like_it(sample):
    with pytest.raises(communes.UnknownCommune) as typed:
        communes.resolve("Lil")

    assert _codes(typed.value.candidates) == ["59350", "62516"]  # Lille, Lillers
    with pytest.raises(communes.UnknownCommune) as code:
        communes.resolve("99999")
    assert code.value.message() == "Aucune commune connue pour le code 99999."


def test_suggestions_by_name_by_postcode_and_their_format(sample, client):
    assert _codes(communes.suggest("saint")) == ["59527", "93066", "97411", "42218", "62765"]
    assert _codes(communes.suggest("mars")) == ["13055"]
    assert _codes(communes.suggest("130")) == ["13001", "13055"]  # INSEE 13001 and Marseille's postcodes
    assert communes.suggest("l") == []

    html = client.get(
        reverse("catalogue:public_search"),
        {"commune": "marse"},
        headers={"HX-Request": "true", "HX-Trigger-Name": "commune"},
    )

    assert html.status_code == 200
    assert html.content.decode().strip() == '<option value="Marseille (13055)">13001, 13002, 13003…</option>'


# --- Inputs that use it --------------------------------------------------------------------------


@pytest.fixture
def lille_service(sample):
    from tests.catalogue.factories import ServiceFactory
    from tests.organisations.factories import OrganisationFactory

    lille = Territory.objects.get(insee_code="59350")
    lille.latitude, lille.longitude = 50.6292, 3.0573
    lille.save()
    provider = OrganisationFactory(name="Association Lilloise", territory=lille)
    ServiceFactory(organisation=provider, name="Atelier CV lillois", territories=[lille])
    marseille = Territory.objects.get(insee_code="13055")
    other = OrganisationFactory(name="Association Marseillaise", territory=marseille)
    ServiceFactory(organisation=other, name="Permis à Marseille", territories=[marseille])
    return lille


@pytest.mark.parametrize("typed", ["lille", "59800", "Lille (59350)"])
def test_the_public_catalogue_is_searched_by_commune_name_or_postcode(client, lille_service, typed):
    response = client.get(reverse("catalogue:public_search"), {"commune": typed})

    assert response.status_code == 200
    names = [m.service.name for m in response.context["page"]]
    assert names == ["Atelier CV lillois"]


def test_the_public_catalogue_offers_the_candidates_of_a_shared_postcode(client, lille_service):
    response = client.get(reverse("catalogue:public_search"), {"commune": "59160"})

    content = response.content.decode()
    assert response.status_code == 400
    assert 'value="59160"' in content
    assert '<option value="Capinghem (59128)">59160</option>' in content
    assert '<option value="Lille (59350)">59000, 59160, 59260…</option>' in content


def test_the_services_api_takes_a_commune_name(client, lille_service):
    by_name = client.get("/api/v1/services", {"commune": "Lille"})
    ambiguous = client.get("/api/v1/services", {"commune": "Saint-Denis"})

    assert by_name.status_code == 200
    assert [s["name"] for s in by_name.json()["items"]] == ["Atelier CV lillois"]
    assert ambiguous.status_code == 422
    assert {c["insee_code"] for c in ambiguous.json()["candidates"]} == {"93066", "97411"}


def test_the_person_api_takes_a_name_or_a_postcode_and_answers_422_with_candidates(client, sample, counselor):
    from parcours.accounts.models import ApiToken
    from parcours.people.models import Person

    _, key = ApiToken.generate(counselor, "tests")
    headers = {"Authorization": f"Bearer {key}"}

    def create(commune):
        body = {"first_name": "Amina", "last_name": "Diallo", "birth_date": "1994-05-17", "commune": commune}
        body["ignore_duplicates"] = True
        return client.post(
            "/api/v1/persons", json.dumps(body), content_type="application/json", headers=headers
        )

    by_name, by_postcode, by_insee, shared = (
        create("liévin"),
        create("13008"),
        create("59350"),
        create("59160"),
    )

    assert [by_name.status_code, by_postcode.status_code, by_insee.status_code] == [201, 201, 201]
    made = [
        Person.objects.get(public_id=r.json()["public_id"]).commune.insee_code
        for r in (by_name, by_postcode, by_insee)
    ]
    assert made == ["62510", "13055", "59350"]
    assert shared.status_code == 422
    assert shared.json()["error"] == (
        "Several municipalities match the code 59160: Capinghem (59128), Lille (59350). Choose one."
    )
    assert shared.json()["candidates"] == [
        {"insee_code": "59128", "name": "Capinghem", "postcodes": ["59160"]},
        {"insee_code": "59350", "name": "Lille", "postcodes": ["59000", "59160", "59260", "59777", "59800"]},
    ]
