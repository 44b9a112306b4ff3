"""Demo labour market: offers, establishments and hires coherent with the ROME sample codes and the
demo communes, then tension values and hiring predictions. Called by the demo command."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from parcours.market import actions
from parcours.market.importers import dedup_key, normalise_text
from parcours.market.models import ContractType, Establishment, Hire, JobOffer
from parcours.stats.market.hiring import SYNTHETIC_SECTORS, make_hiring_data, month_index, month_start

FALLBACK_CODES = [
    "J1501",
    "M1805",
    "M1607",
    "K2204",
    "N1103",
    "G1602",
    "G1803",
    "D1106",
    "N4101",
    "K1302",
    "F1703",
    "F1602",
]
ROME_SAMPLE = (
    Path(__file__).resolve().parent.parent
    / "labour"
    / "fixtures"
    / "rome_sample"
    / "unix_referentiel_code_rome_v460_utf8.csv"
)
# Monthly gross salary medians (€) by ROME domain letter: orders of magnitude for the demo only.
SALARY_BY_DOMAIN = {"A": 1850, "D": 1850, "F": 2100, "G": 1900, "J": 2000, "K": 1850, "M": 2300, "N": 2000}
SKILLS = [
    "Travail en équipe",
    "Accueil du public",
    "Respect des règles d'hygiène",
    "Autonomie",
    "Gestion des stocks",
    "Permis B",
    "Sens du service",
    "Rigueur",
    "Utilisation d'outils bureautiques",
]
CONTRACTS = [ContractType.CDI, ContractType.CDD, ContractType.MIS, ContractType.SAI]


def sample_rome_codes() -> dict[str, str]:
    """``{code: label}`` from the committed ROME sample, or the fixed fallback list."""
    if ROME_SAMPLE.exists():
        with ROME_SAMPLE.open(encoding="utf-8") as handle:
            codes = {r["code_rome"]: r["libelle_rome"] for r in csv.DictReader(handle) if r.get("code_rome")}
        if codes:
            return codes
    return dict.fromkeys(FALLBACK_CODES, "")


@transaction.atomic
def build_demo_market(
    seed: int = 0,
    communes=(),
    rome_codes: list[str] | None = None,
    *,
    n_offers: int = 600,
    n_establishments: int = 200,
    months: int = 36,
    today: datetime.date | None = None,
) -> dict[str, int]:
    """Create demo offers, establishments and hires, then tension values and hiring predictions.

    ``communes`` are Territory rows with coordinates (the demo's Lille area); idempotent for a
    given seed (offers and SIRETs are keyed by seed).
    """
    rng = np.random.default_rng(seed)
    today = today or timezone.localdate()
    labels = sample_rome_codes()
    codes = [c for c in (rome_codes or list(labels)) if c]
    places = [c for c in communes if c.latitude is not None]
    postcodes = {c.pk: c.postcode for c in places}  # one query per commune, not one per offer
    if not codes or not places:
        raise ValueError("the demo market needs ROME codes and communes with coordinates")
    weights = np.array([max(getattr(c, "population", None) or 10_000, 1) for c in places], dtype=float)
    weights /= weights.sum()
    offers = []
    for i in range(n_offers):
        code = codes[int(rng.integers(len(codes)))]
        place = places[int(rng.choice(len(places), p=weights))]
        contract = CONTRACTS[int(rng.choice(4, p=[0.45, 0.3, 0.15, 0.1]))]
        employer = f"Entreprise {code}-{int(rng.integers(1, 40))}"
        median = SALARY_BY_DOMAIN.get(code[0], 1950)
        low = round(float(rng.normal(median, median * 0.12)), -1)
        stated = rng.random() < 0.7
        skills = [{"code": "", "label": s} for s in rng.choice(SKILLS, size=3, replace=False)]
        title = labels.get(code) or f"Métier {code}"
        posted = timezone.now() - datetime.timedelta(
            days=int(rng.integers(0, 330)), hours=int(rng.integers(0, 24))
        )
        offers.append(
            JobOffer(
                source="demo",
                external_id=f"demo-{seed}-{i}",
                title=title,
                rome_code=code,
                rome_label=labels.get(code, ""),
                employer_name=employer,
                commune_insee=place.insee_code,
                postcode=postcodes[place.pk] or "",
                place_label=place.name,
                latitude=place.latitude + float(rng.normal(0, 0.01)),
                longitude=place.longitude + float(rng.normal(0, 0.01)),
                contract_type=contract,
                full_time=bool(rng.random() < 0.75),
                salary_label=f"Mensuel de {low:.2f} Euros à {low + 200:.2f} Euros sur 12 mois"
                if stated
                else "",
                salary_min_monthly=Decimal(f"{low:.2f}") if stated else None,
                salary_max_monthly=Decimal(f"{low + 200:.2f}") if stated else None,
                skills=skills,
                skill_keys="|".join(sorted(normalise_text(s["label"]) for s in skills)),
                posted_at=posted,
                is_active=posted > timezone.now() - datetime.timedelta(days=60),
                dedup_key=dedup_key(title, employer, place.insee_code, contract),
                description="Offre de démonstration.",
            )
        )
    JobOffer.objects.bulk_create(offers, ignore_conflicts=True, batch_size=500)

    start = month_start(month_index(today) - months)
    hires_df, est_df = make_hiring_data(n_establishments, start=start, months=months, random_state=seed)
    sectors = {s[0]: s[3] for s in SYNTHETIC_SECTORS}
    establishments = []
    for row in est_df.itertuples(index=False):
        place = places[int(rng.choice(len(places), p=weights))]
        establishments.append(
            Establishment(
                siret=f"{90000000000000 + seed * 100000 + int(row.establishment):014d}",
                name=f"Établissement {int(row.establishment) + 1} ({place.name})",
                naf_code=row.naf,
                commune_insee=place.insee_code,
                latitude=place.latitude,
                longitude=place.longitude,
            )
        )
    Establishment.objects.bulk_create(establishments, ignore_conflicts=True, batch_size=500)
    by_siret = dict(
        Establishment.objects.filter(siret__in=[e.siret for e in establishments]).values_list("siret", "pk")
    )
    # Occupations of the synthetic sectors mapped onto the codes of the sample, so that every
    # prediction names an occupation the demo knows.
    mapping = {
        c: (c if c in codes else codes[i % len(codes)])
        for i, c in enumerate(sorted({c for v in sectors.values() for c in v}))
    }
    hires = [
        Hire(
            establishment_id=by_siret[establishments[int(r.establishment)].siret],
            hired_on=r.hired_on,
            rome_code=mapping.get(r.rome_code, ""),
            contract_type=CONTRACTS[int(r.establishment) % 4],
            declaration_key=f"demo-{seed}-{i}",
        )
        for i, r in enumerate(hires_df.itertuples(index=False))
    ]
    Hire.objects.bulk_create(hires, ignore_conflicts=True, batch_size=1000)
    run = actions.train_hiring_model(as_of=today)
    predictions = actions.predict_hiring(run, as_of=today)
    cells = actions.compute_tension_values(end=today)
    return {
        "offers": len(offers),
        "establishments": len(establishments),
        "hires": len(hires),
        "predictions": predictions,
        "tension_cells": cells,
    }


# Offers as small employers and job boards write them, with no ROME code: the demo imports them
# through ``parcours market import-offers`` (the real path), which infers each occupation from the
# title with the job-title normaliser and keeps the score. The last two are not in the ROME sample's
# 25 occupations: their inferred occupation is flagged as uncertain on the offer pages.
OFFERS_WITHOUT_OCCUPATION = [
    ("Auxiliaire de vie à domicile H/F", "CDI", "24 h par semaine"),
    ("Aide-soignante de nuit en EHPAD", "CDI", "Temps plein"),
    ("Femme de ménage chez des particuliers", "CDD", "12 h par semaine"),
    ("Plongeur aide cuisine", "SAI", "Temps plein"),
    ("Agent d'entretien de bureaux le matin", "CDI", "20 h par semaine"),
    ("Vendeuse en épicerie fine", "CDD", "Temps plein"),
    ("Préparateur de commandes en entrepôt", "MIS", "Temps plein"),
    ("Chauffeur poids lourd régional", "CDI", "Temps plein"),
    ("Serveur en brasserie", "CDD", "Temps plein"),
    ("Garde d'enfants après l'école", "CDI", "10 h par semaine"),
    ("Développeur web junior", "CDI", "Temps plein"),
    ("Secrétaire médicale", "CDD", "Temps plein"),
    ("Chef de projet marketing digital", "CDI", "Temps plein"),
    ("Community manager", "CDD", "Temps plein"),
]


def import_demo_offers_without_occupation(seed: int, communes, folder: Path) -> None:
    """Write the offers above as a CSV file in ``folder`` and import it with the market command."""
    places = [c for c in communes if c.latitude is not None] or list(communes)
    today = timezone.localdate()
    path = folder / "offres-sans-code-rome.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "rome_code", "contract_type", "posted_on", "employer", "commune_insee",
                         "place", "hours", "description"])  # fmt: skip
        for i, (title, contract, hours) in enumerate(OFFERS_WITHOUT_OCCUPATION):
            place = places[(seed + i) % len(places)]
            posted = today - datetime.timedelta(days=2 + 3 * i)
            employer = f"Employeur local {i + 1}"
            description = "Offre déposée sans code ROME : le métier est déduit de l'intitulé à l'import."
            writer.writerow([f"demo-{seed}-sans-rome-{i}", title, "", contract, posted.isoformat(), employer,
                             place.insee_code, place.name, hours, description])  # fmt: skip
    call_command(
        "market", "import-offers", str(path), "--source", "demo-csv", "--no-progress", stdout=io.StringIO()
    )
