"""Import and export in the national data·inclusion schema (v1): structures and services as the
aggregator exchanges them, validated by the package's own pydantic models.

Accepted input: `{"structures": [...], "services": [...]}` (the export format) or one list mixing
both (a record with `structure_id` is a service). Each record is validated and saved on its own:
an invalid record is reported (kind, index, id, field, message) and skipped, nothing of it is
saved; the valid ones are imported. Re-importing updates by (source, id): idempotent.
"""

import datetime
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import pydantic
from data_inclusion.schema import v1 as di
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from parcours.catalogue import taxonomy as tx
from parcours.catalogue.models import ProviderStructure, Service
from parcours.organisations.models import Organisation, Territory
from parcours.stats.tabular import InvalidRows

logger = logging.getLogger(__name__)

PARCOURS_SOURCE = "parcours"

# Networks of the national schema -> kinds of organisation in Parcours.
KIND_BY_NETWORK = {
    di.ReseauPorteur.FRANCE_TRAVAIL.value: Organisation.Kind.PES,
    di.ReseauPorteur.MISSION_LOCALE.value: Organisation.Kind.YOUTH_MISSION,
    di.ReseauPorteur.CAP_EMPLOI_RESEAU_CHEOPS.value: Organisation.Kind.DISABILITY_OPERATOR,
    di.ReseauPorteur.DEPARTEMENTS.value: Organisation.Kind.LOCAL_AUTHORITY,
    di.ReseauPorteur.COMMUNES.value: Organisation.Kind.LOCAL_AUTHORITY,
}
NETWORK_BY_KIND = {kind: network for network, kind in KIND_BY_NETWORK.items() if network != "communes"}


@dataclass
class RecordError:
    kind: str  # "structure" or "service"
    index: int
    id: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} #{self.index} ({self.id or 'sans id'}) — {self.field or '-'} : {self.message}"


@dataclass
class ImportReport:
    structures_created: int = 0
    structures_updated: int = 0
    services_created: int = 0
    services_updated: int = 0
    errors: list[RecordError] = field(default_factory=list)
    warnings: list[RecordError] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["errors"] = [asdict(e) for e in self.errors]
        data["warnings"] = [asdict(w) for w in self.warnings]
        return data


class BadPayload(ValueError):
    """The file is not a data·inclusion export at all (not per-record: the whole input)."""


def split_payload(payload) -> tuple[list, list]:
    if isinstance(payload, dict):
        structures, services = payload.get("structures", []), payload.get("services", [])
        if not isinstance(structures, list) or not isinstance(services, list):
            raise BadPayload("`structures` and `services` must be lists")
        if not set(payload) & {"structures", "services"}:
            raise BadPayload("expected an object with `structures` and/or `services`, or a list of records")
        return structures, services
    if isinstance(payload, list):
        services = [r for r in payload if isinstance(r, dict) and "structure_id" in r]
        structures = [r for r in payload if not (isinstance(r, dict) and "structure_id" in r)]
        return structures, services
    raise BadPayload("expected a JSON object or list")


def _pydantic_errors(kind: str, index: int, record, exc: pydantic.ValidationError) -> list[RecordError]:
    record_id = str(record.get("id", "")) if isinstance(record, dict) else ""
    return [
        RecordError(kind, index, record_id, ".".join(str(p) for p in err["loc"]), err["msg"])
        for err in exc.errors()
    ]


def _commune(code: str | None) -> Territory | None:
    if not code:
        return None
    return Territory.objects.filter(level=Territory.Level.COMMUNE, insee_code=code).first()


def _dump(model: pydantic.BaseModel) -> dict:
    data = model.model_dump(mode="json", exclude_none=True)
    # Sets have no order: sort them so that exports are stable and comparable.
    return {k: sorted(v) if isinstance(v, list) and k != "zone_eligibilite" else v for k, v in data.items()}


def _import_structure(record: di.Structure, raw_index: int, report: ImportReport) -> None:
    data = _dump(record)
    link = ProviderStructure.objects.filter(source=record.source, external_id=record.id).first()
    if link is not None:
        link.data = data
        link.save(update_fields=["data"])
        report.structures_updated += 1
        return
    organisation = Organisation.objects.filter(siret=record.siret).first() if record.siret else None
    if organisation is None:
        commune = _commune(record.code_insee)
        if commune is None:
            report.errors.append(
                RecordError(
                    "structure",
                    raw_index,
                    record.id,
                    "code_insee",
                    "commune absente ou inconnue du référentiel des territoires : la structure ne peut être créée",
                )
            )
            return
        networks = sorted(record.reseaux_porteurs or [])
        kind = next(
            (KIND_BY_NETWORK[n] for n in networks if n in KIND_BY_NETWORK), Organisation.Kind.ASSOCIATION
        )
        organisation = Organisation.objects.create(
            name=record.nom,
            kind=kind,
            siret=record.siret or "",
            territory=commune,
            email=record.courriel or "",
            phone=(record.telephone or "")[:20],
        )
    ProviderStructure.objects.create(
        source=record.source, external_id=record.id, organisation=organisation, data=data
    )
    report.structures_created += 1


def _organisation_for(record: di.Service) -> Organisation | None:
    link = ProviderStructure.objects.filter(source=record.source, external_id=record.structure_id).first()
    if link is not None:
        return link.organisation
    if record.source == PARCOURS_SOURCE and record.structure_id.startswith(f"{PARCOURS_SOURCE}--"):
        public_id = record.structure_id.split("--", 1)[1]
        try:
            return Organisation.objects.filter(public_id=public_id).first()
        except ValidationError:
            return None
    return None


def _zone_territories(codes: list[str], index: int, record_id: str, report: ImportReport) -> list[Territory]:
    found = []
    for code in codes:
        if code == "france" or code.startswith("99") or len(code) == 9:
            continue  # national, foreign or EPCI: kept as codes, not a restriction Parcours checks
        level = Territory.Level.COMMUNE if len(code) == 5 else Territory.Level.DEPARTEMENT
        territory = Territory.objects.filter(level=level, insee_code=code).first()
        if territory is None:
            report.warnings.append(
                RecordError(
                    "service",
                    index,
                    record_id,
                    "zone_eligibilite",
                    f"code inconnu, conservé tel quel : {code}",
                )
            )
        else:
            found.append(territory)
    return found


def service_fields(record: di.Service) -> dict:
    data = _dump(record)
    return {
        "structure_external_id": record.structure_id,
        "name": record.nom,
        "description": record.description,
        "source_url": data.get("lien_source", ""),
        "updated_on": record.date_maj,
        "type": data.get("type", ""),
        "thematiques": data.get("thematiques", []),
        "frais": data.get("frais", ""),
        "frais_details": record.frais_precisions or "",
        "publics": data.get("publics", []),
        "publics_details": record.publics_precisions or "",
        "access_conditions": record.conditions_acces or "",
        "commune_name": record.commune or "",
        "postcode": record.code_postal or "",
        "insee_code": record.code_insee or "",
        "address": record.adresse or "",
        "address_complement": record.complement_adresse or "",
        "latitude": record.latitude,
        "longitude": record.longitude,
        "phone": record.telephone or "",
        "email": data.get("courriel", ""),
        "modes_accueil": data.get("modes_accueil", []),
        "eligibility_zone": data.get("zone_eligibilite", []),
        "contact_name": record.contact_nom_prenom or "",
        "mobilisation_url": data.get("lien_mobilisation", ""),
        "modes_mobilisation": data.get("modes_mobilisation", []),
        "mobilisable_par": data.get("mobilisable_par", []),
        "mobilisation_details": record.mobilisation_precisions or "",
        "weekly_hours": record.volume_horaire_hebdomadaire,
        "weeks": record.nombre_semaines,
        "schedule": record.horaires_accueil or "",
        "barriers": tx.barriers_for_thematiques(data.get("thematiques", [])),
    }


def _import_service(record: di.Service, index: int, report: ImportReport) -> None:
    organisation = _organisation_for(record)
    if organisation is None:
        report.errors.append(
            RecordError(
                "service",
                index,
                record.id,
                "structure_id",
                "structure inconnue : importez-la avec le service",
            )
        )
        return
    fields = service_fields(record)
    territories = _zone_territories(fields["eligibility_zone"], index, record.id, report)
    service = Service.objects.filter(source=record.source, external_id=record.id).first()
    created = service is None
    if created:
        service = Service(source=record.source, external_id=record.id, organisation=organisation)
    else:
        service.organisation = organisation
        service.version += 1
    for name, value in fields.items():
        setattr(service, name, value)
    service.commune = _commune(record.code_insee)
    service.is_active = True
    service.save()
    service.territories.set(territories)
    if created:
        report.services_created += 1
    else:
        report.services_updated += 1


def import_catalogue(payload, *, by=None, skip_invalid: bool = False) -> ImportReport:
    """Validate and import every record (see module docstring), in one transaction.

    All or nothing by default: an invalid record, or no record at all, raises
    :class:`~parcours.stats.tabular.InvalidRows` and nothing is written. ``skip_invalid=True``
    (the web page and the API) imports the valid records and lists the others in the report."""
    structures, services = split_payload(payload)
    report = ImportReport()
    with transaction.atomic():
        for kind, records, model, handler in (
            ("structure", structures, di.Structure, _import_structure),
            ("service", services, di.Service, _import_service),
        ):
            for index, raw in enumerate(records):
                if not isinstance(raw, dict):
                    report.errors.append(RecordError(kind, index, "", "", "un objet JSON est attendu"))
                    continue
                try:
                    record = model.model_validate(raw)
                except pydantic.ValidationError as exc:
                    report.errors.extend(_pydantic_errors(kind, index, raw, exc))
                    continue
                try:
                    with transaction.atomic():  # nothing half-imported for one record
                        handler(record, index, report)
                except ValidationError as exc:
                    report.errors.append(RecordError(kind, index, record.id, "", "; ".join(exc.messages)))
        if not skip_invalid and (report.errors or not (structures or services)):
            problems = [str(e) for e in report.errors]
            if not (structures or services):
                raise InvalidRows("no record (expected structures and/or services)", problems, report)
            raise InvalidRows(
                f"{len(report.errors)} invalid record(s), nothing imported; fix them or use --skip-invalid",
                problems,
                report,
            )
    logger.info(
        "catalogue_import by=%s services_created=%s services_updated=%s errors=%s",
        getattr(by, "pk", "cli"),
        report.services_created,
        report.services_updated,
        len(report.errors),
    )
    return report


# --- Export ------------------------------------------------------------------------------------


def structure_id_of(service: Service) -> str:
    return service.structure_external_id or f"{PARCOURS_SOURCE}--{service.organisation.public_id}"


def service_record(service: Service) -> dict:
    """The national record of a service (keys without value are left out)."""
    record = {
        "source": service.source,
        "structure_id": structure_id_of(service),
        "id": service.external_id,
        "nom": service.name,
        "description": service.description,
        "lien_source": service.source_url or None,
        "date_maj": service.updated_on.isoformat(),
        "type": service.type or None,
        "thematiques": sorted(service.thematiques) or None,
        "frais": service.frais or None,
        "frais_precisions": service.frais_details or None,
        "publics": sorted(service.publics) or None,
        "publics_precisions": service.publics_details or None,
        "conditions_acces": service.access_conditions or None,
        "commune": service.commune_name or None,
        "code_postal": service.postcode or None,
        "code_insee": service.insee_code or None,
        "adresse": service.address or None,
        "complement_adresse": service.address_complement or None,
        "longitude": service.longitude,
        "latitude": service.latitude,
        "telephone": service.phone or None,
        "courriel": service.email or None,
        "modes_accueil": sorted(service.modes_accueil) or None,
        "zone_eligibilite": list(service.eligibility_zone) or None,
        "contact_nom_prenom": service.contact_name or None,
        "lien_mobilisation": service.mobilisation_url or None,
        "modes_mobilisation": sorted(service.modes_mobilisation) or None,
        "mobilisable_par": sorted(service.mobilisable_par) or None,
        "mobilisation_precisions": service.mobilisation_details or None,
        "volume_horaire_hebdomadaire": service.weekly_hours,
        "nombre_semaines": service.weeks,
        "horaires_accueil": service.schedule or None,
    }
    return {k: v for k, v in record.items() if v is not None}


def structure_record(
    organisation: Organisation, link: ProviderStructure | None, date_maj: datetime.date
) -> dict:
    if link is not None:
        return dict(link.data)
    territory = organisation.territory
    network = NETWORK_BY_KIND.get(organisation.kind)
    record = {
        "source": PARCOURS_SOURCE,
        "id": f"{PARCOURS_SOURCE}--{organisation.public_id}",
        "nom": organisation.name,
        "date_maj": date_maj.isoformat(),
        "siret": organisation.siret or None,
        "commune": territory.name if territory.level == Territory.Level.COMMUNE else None,
        "code_postal": territory.postcode or None,
        "code_insee": territory.insee_code if territory.level == Territory.Level.COMMUNE else None,
        "latitude": territory.latitude,
        "longitude": territory.longitude,
        "telephone": organisation.phone or None,
        "courriel": organisation.email or None,
        "reseaux_porteurs": [network] if network else None,
    }
    return {k: v for k, v in record.items() if v is not None}


def export_records(services) -> tuple[list[dict], Iterator[dict]]:
    """Structures (one per provider, bounded by the number of organisations) and a stream of services."""
    services = services.select_related("organisation__territory")
    org_ids = services.values("organisation_id")
    dates = dict(
        services.order_by()
        .values("organisation_id")
        .annotate(d=Max("updated_on"))
        .values_list("organisation_id", "d")
    )
    links: dict[tuple[int, str], ProviderStructure] = {
        (link.organisation_id, link.external_id): link
        for link in ProviderStructure.objects.filter(organisation_id__in=org_ids)
    }
    structures = {}
    pairs = services.order_by().values_list("organisation_id", "structure_external_id").distinct()
    organisations = (
        Organisation.objects.filter(pk__in=org_ids)
        .select_related("territory")
        .prefetch_related("territory__postcodes")
        .in_bulk()
    )
    for organisation_id, structure_external_id in pairs:
        organisation = organisations[organisation_id]
        link = links.get((organisation_id, structure_external_id)) if structure_external_id else None
        record = structure_record(organisation, link, dates[organisation_id])
        structures[(record["source"], record["id"])] = record
    ordered = [structures[key] for key in sorted(structures)]
    return ordered, (
        service_record(s) for s in services.order_by("source", "external_id").iterator(chunk_size=500)
    )


def iter_export_json(services) -> Iterator[str]:
    """The export as JSON text, chunk by chunk (the catalogue may be large)."""
    structures, records = export_records(services)
    yield '{"structures": ' + json.dumps(structures, ensure_ascii=False, indent=None) + ', "services": ['
    for i, record in enumerate(records):
        yield ("," if i else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]}\n"
