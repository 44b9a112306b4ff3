"""Import and export in the data·inclusion schema: round trip, per-record errors, idempotence."""

import copy
import datetime
import json

import pytest
from data_inclusion.schema import v1 as di
from django.core.management import call_command
from django.core.management.base import CommandError

from parcours.catalogue.exchange import export_records, import_catalogue
from parcours.catalogue.models import ProviderStructure, Service
from parcours.organisations.models import Organisation

DATE = (datetime.date.today() - datetime.timedelta(days=10)).isoformat()

DATASET = {
    "structures": [
        {
            "source": "dora",
            "id": "dora--ml-lille",
            "nom": "Mission locale de Lille",
            "date_maj": DATE,
            "siret": "13003013300016",
            "commune": "Lille",
            "code_postal": "59000",
            "code_insee": "59350",
            "adresse": "5 rue d'Arras",
            "courriel": "contact@ml-lille.example.org",
            "reseaux_porteurs": ["mission-locale"],
            "horaires_accueil": "Mo-Fr 09:00-17:00",
        },
        {
            "source": "dora",
            "id": "dora--velo-roubaix",
            "nom": "Atelier Vélo Solidaire",
            "date_maj": DATE,
            "commune": "Roubaix",
            "code_insee": "59512",
        },
    ],
    "services": [
        {
            "source": "dora",
            "structure_id": "dora--ml-lille",
            "id": "dora--cej-lille",
            "nom": "Contrat d'engagement jeune",
            "description": "Un accompagnement intensif de 15 à 20 heures par semaine pour les jeunes.",
            "date_maj": DATE,
            "type": "accompagnement",
            "thematiques": [
                "trouver-un-emploi--repondre-a-des-offres-demploi",
                "mobilite--preparer-un-permis",
            ],
            "publics": ["jeunes"],
            "publics_precisions": "16-25 ans",
            "frais": "gratuit",
            "commune": "Lille",
            "code_postal": "59000",
            "code_insee": "59350",
            "adresse": "5 rue d'Arras",
            "latitude": 50.62,
            "longitude": 3.06,
            "courriel": "cej@ml-lille.example.org",
            "modes_accueil": ["en-presentiel", "a-distance"],
            "zone_eligibilite": ["59", "200093201"],
            "modes_mobilisation": ["envoyer-un-courriel"],
            "mobilisable_par": ["professionnels"],
            "volume_horaire_hebdomadaire": 15,
            "nombre_semaines": 26,
            "horaires_accueil": "Mo-Fr 09:00-12:00",
            "lien_source": "https://dora.inclusion.beta.gouv.fr/services/cej-lille",
        },
        {
            "source": "dora",
            "structure_id": "dora--velo-roubaix",
            "id": "dora--velo-pret",
            "nom": "Prêt de vélos pour la reprise d'emploi",
            "description": "Prêt gratuit d'un vélo pendant trois mois.",
            "date_maj": DATE,
            "type": "aide-materielle",
            "thematiques": ["mobilite--acceder-a-un-vehicule"],
            "publics": ["tous-publics"],
            "zone_eligibilite": ["59512"],
        },
    ],
}


def normalised(records, model):
    return sorted(
        (model.model_validate(r).model_dump(mode="json", exclude_none=True) for r in records),
        key=lambda r: (r["source"], r["id"]),
    )


def sort_sets(record):
    return {k: sorted(v) if isinstance(v, list) and k != "zone_eligibilite" else v for k, v in record.items()}


@pytest.fixture
def territory(lille, roubaix):
    return lille, roubaix


def export_all():
    structures, services = export_records(Service.objects.active())
    return structures, list(services)


def test_import_stores_taxonomy_codes_and_derives_barriers(territory):
    report = import_catalogue(DATASET)

    assert report.errors == []
    assert (report.structures_created, report.services_created) == (2, 2)
    service = Service.objects.get(source="dora", external_id="dora--cej-lille")
    assert service.publics == ["jeunes"]
    assert set(service.thematiques) == set(DATASET["services"][0]["thematiques"])
    assert service.barriers == ["mobility"]
    assert service.organisation.kind == Organisation.Kind.YOUTH_MISSION
    assert service.commune == territory[0]
    # The département is resolved for searching; the EPCI code is kept for the export only.
    assert [t.insee_code for t in service.territories.all()] == ["59"]
    assert [w.field for w in report.warnings] == []


def test_export_gives_back_what_was_imported_and_reimport_is_identical(territory):
    import_catalogue(DATASET)
    structures, services = export_all()

    assert [sort_sets(r) for r in normalised(services, di.Service)] == [
        sort_sets(r) for r in normalised(DATASET["services"], di.Service)
    ]
    assert normalised(structures, di.Structure) == normalised(DATASET["structures"], di.Structure)

    report = import_catalogue({"structures": structures, "services": services})
    assert report.errors == []
    assert (report.services_created, report.services_updated) == (0, 2)
    assert export_all() == (structures, services)
    assert Service.objects.count() == 2
    assert ProviderStructure.objects.count() == 2


def test_reimport_updates_by_source_and_id(territory):
    import_catalogue(DATASET)
    changed = copy.deepcopy(DATASET)
    changed["services"][1]["nom"] = "Prêt de vélos électriques"

    report = import_catalogue(changed)

    assert report.services_updated == 2 and report.services_created == 0
    assert Service.objects.get(external_id="dora--velo-pret").name == "Prêt de vélos électriques"


def test_with_skip_invalid_invalid_records_are_reported_one_by_one_and_valid_ones_imported(territory):
    data = copy.deepcopy(DATASET)
    bad_code = dict(data["services"][0], id="dora--bad-code", thematiques=["mobilite--teleportation"])
    short_name = dict(data["services"][1], id="dora--short", nom="Ab")
    orphan = dict(data["services"][1], id="dora--orphan", structure_id="dora--inconnue")
    future = dict(data["services"][1], id="dora--future", date_maj="2999-01-01")
    data["services"] += [bad_code, short_name, orphan, future]
    data["structures"].append(
        {"source": "dora", "id": "dora--nowhere", "nom": "Sans commune", "date_maj": DATE}
    )

    report = import_catalogue(data, skip_invalid=True)

    by_id = {(e.kind, e.id): e for e in report.errors}
    assert by_id[("service", "dora--bad-code")].field == "thematiques.0"
    assert by_id[("service", "dora--bad-code")].index == 2
    assert by_id[("service", "dora--short")].field == "nom"
    assert by_id[("service", "dora--orphan")].field == "structure_id"
    assert by_id[("service", "dora--future")].field == "date_maj"
    assert by_id[("structure", "dora--nowhere")].field == "code_insee"
    assert report.services_created == 2
    assert set(Service.objects.values_list("external_id", flat=True)) == {
        "dora--cej-lille",
        "dora--velo-pret",
    }


def test_command_imports_and_exports_files(territory, tmp_path, capsys):
    source = tmp_path / "catalogue.json"
    source.write_text(json.dumps(DATASET), encoding="utf-8")
    out = tmp_path / "export.json"

    call_command("catalogue", "import", str(source))
    call_command("catalogue", "export", "--out", str(out))

    exported = json.loads(out.read_text(encoding="utf-8"))
    assert {s["id"] for s in exported["services"]} == {"dora--cej-lille", "dora--velo-pret"}
    assert len(exported["structures"]) == 2
    assert "services_created=2" in capsys.readouterr().out


def test_command_rejects_unreadable_file_with_exit_code_2(tmp_path, db):
    source = tmp_path / "broken.json"
    source.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("catalogue", "import", str(source))
    assert excinfo.value.returncode == 2


def test_export_of_services_created_in_parcours_is_valid_national_data(lille):
    from tests.catalogue.factories import ServiceFactory

    ServiceFactory(organisation__territory=lille, email="accueil@example.org")
    structures, services = export_all()
    for record in structures:
        di.Structure.model_validate(record)
    for record in services:
        di.Service.model_validate(record)
    assert services[0]["structure_id"] == structures[0]["id"]
