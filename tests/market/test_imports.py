import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parcours.market.importers import BadPayload, import_hires_csv, import_offers_csv, import_offers_json
from parcours.market.models import Establishment, Hire, JobOffer

RECORDED = Path(__file__).parent / "recorded"


def recorded_offers() -> dict:
    return json.loads((RECORDED / "offers_search_page1.json").read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_france_travail_json_is_imported_with_monthly_salaries():
    report = import_offers_json(recorded_offers())
    assert (report.created, report.errors) == (2, [])
    night = JobOffer.objects.get(external_id="184XKLM")
    assert (night.rome_code, night.contract_type, night.full_time, night.positions) == (
        "J1501",
        "CDI",
        True,
        2,
    )
    assert (float(night.salary_min_monthly), float(night.salary_max_monthly)) == (1900.0, 2100.0)
    assert night.skills[0]["label"].startswith("Réaliser les soins")
    waiter = JobOffer.objects.get(external_id="184XKLN")
    assert float(waiter.salary_min_monthly) == pytest.approx(11.88 * 151.67, abs=0.01)
    assert (waiter.contract_type, waiter.full_time) == ("SAI", False)


@pytest.mark.django_db
def test_bare_list_is_accepted_and_bad_records_are_reported_by_index_and_id():
    records = recorded_offers()["resultats"]
    broken = dict(records[0], id="NOROME")
    del broken["romeCode"]
    no_date = dict(records[0], id="NODATE", dateCreation="")
    bad_rome = dict(records[0], id="BADROME", romeCode="1501J")
    report = import_offers_json([records[0], broken, no_date, "not an object", bad_rome], skip_invalid=True)
    assert report.created == 1
    problems = {(e.index, e.id, e.field) for e in report.errors}
    assert problems == {
        (1, "NOROME", "romeCode"),
        (2, "NODATE", "dateCreation"),
        (3, "", "-"),
        (4, "BADROME", "romeCode"),
    }


def test_a_payload_that_is_not_a_list_is_refused_as_a_whole():
    with pytest.raises(BadPayload):
        import_offers_json({"results": []})


@pytest.mark.django_db
def test_reimport_is_idempotent_and_updates_changed_records():
    import_offers_json(recorded_offers())
    again = import_offers_json(recorded_offers())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = recorded_offers()
    changed["resultats"][0]["intitule"] = "Aide-soignant de nuit — EHPAD"
    third = import_offers_json(changed)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert JobOffer.objects.count() == 2
    assert JobOffer.objects.get(external_id="184XKLM").title == "Aide-soignant de nuit — EHPAD"


OFFERS_CSV = """id;title;rome_code;contract_type;posted_on;employer;commune_insee;salary;skills;full_time
C1;Aide-soignant / Aide-soignante de nuit (H/F);J1501;CDI;2025-03-04;Ehpad les Tilleuls;59350;Annuel de 24000 Euros sur 12 mois;Soins d'hygiène|Travail de nuit;true
C2;Serveur;G1803;CDD;2025-03-02;;59512;;;
C3;Sans date;G1803;CDD;;Brasserie;59512;;;
"""


@pytest.mark.django_db
def test_csv_offers_are_imported_and_cross_source_duplicates_merged(lille, roubaix):
    import_offers_json(recorded_offers())
    report = import_offers_csv(io.StringIO(OFFERS_CSV), skip_invalid=True)
    assert (report.created, report.duplicates) == (2, 1)
    assert [(e.index, e.id, e.field) for e in report.errors] == [(4, "C3", "posted_on")]
    canonical = JobOffer.objects.get(source="france_travail", external_id="184XKLM")
    duplicate = JobOffer.objects.get(source="csv", external_id="C1")
    assert duplicate.duplicate_of == canonical
    assert float(duplicate.salary_min_monthly) == 2000.0
    # The commune's coordinates fill an offer that has none.
    assert JobOffer.objects.get(external_id="C2").latitude == roubaix.latitude
    assert JobOffer.objects.matchable().filter(rome_code="J1501").count() == 1
    # Without an employer, never merged.
    assert JobOffer.objects.get(external_id="C2").duplicate_of is None


@pytest.mark.django_db
def test_duplicate_completes_missing_fields_of_the_canonical_offer():
    record = recorded_offers()["resultats"][0]
    del record["salaire"]
    import_offers_json([record])
    import_offers_csv(io.StringIO(OFFERS_CSV.splitlines()[0] + "\n" + OFFERS_CSV.splitlines()[1] + "\n"))
    canonical = JobOffer.objects.get(external_id="184XKLM")
    assert float(canonical.salary_min_monthly) == 2000.0
    assert canonical.salary_label.startswith("Annuel")


HIRES_CSV = """siret,hired_on,rome_code,contract_type,naf,commune_insee,establishment_name
12345678900011,2025-01-10,J1501,CDI,8710A,59350,EHPAD les Tilleuls
12345678900011,2025-01-10,J1501,CDI,,,
12345678900011,2025-02-01,,CDD,,,
1234,2025-02-01,J1501,CDD,,,
12345678900029,2025-13-01,J1501,CDD,,,
98765432100010,2025-02-03,G1803,XYZ,5610A,59512,Brasserie
"""


@pytest.mark.django_db
def test_hiring_declarations_import_creates_establishments_and_is_idempotent(lille, roubaix):
    report = import_hires_csv(io.StringIO(HIRES_CSV), skip_invalid=True)
    assert report.created == 4
    assert [(e.index, e.field) for e in report.errors] == [(5, "siret"), (6, "hired_on")]
    ehpad = Establishment.objects.get(siret="12345678900011")
    assert (ehpad.name, ehpad.naf_code, ehpad.latitude) == ("EHPAD les Tilleuls", "8710A", lille.latitude)
    assert ehpad.hires.count() == 3  # two identical lines are two hires
    assert Hire.objects.get(establishment__siret="98765432100010").contract_type == "AUT"
    again = import_hires_csv(io.StringIO(HIRES_CSV), skip_invalid=True)
    assert (again.created, Hire.objects.count()) == (0, 4)


@pytest.mark.django_db
def test_command_imports_a_file_and_fails_with_exit_2_on_unreadable_input(tmp_path):
    path = tmp_path / "offers.json"
    path.write_text(json.dumps(recorded_offers()), encoding="utf-8")
    out = io.StringIO()
    call_command(
        "market", "import-offers", str(path), "--json", "--no-progress", stdout=out, stderr=io.StringIO()
    )
    assert json.loads(out.getvalue())["created"] == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("market", "import-offers", str(bad), "--no-progress", stdout=io.StringIO())
    assert exc.value.returncode == 2
