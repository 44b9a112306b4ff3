"""Cut a small ROME sample out of the official set, keeping the official format.

The sample shipped in ``parcours/labour/fixtures/rome_sample/`` was made with::

    python -m parcours.stats.labour.make_sample --rome-dir ../shared/data/rome4 \\
        --out parcours/labour/fixtures/rome_sample

It keeps, for the fiches in :data:`DEMO_CODES`: their rows of the fiche, appellation, text and
tree files, every item linked to them (with its competence or savoir row), their coherence
links, and the mobility links whose both ends are in the sample. Rows are copied unchanged, in
the official order, with the official quoting (every field quoted, ``\\n`` line ends).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from parcours.stats.errors import BadInputError
from parcours.stats.labour.rome import find_rome_files

#: Fiches of the demo territory: care, services to people, cleaning, logistics, catering,
#: retail, transport, building, office and IT jobs.
DEMO_CODES = (
    "D1106",  # Vendeur / Vendeuse en épicerie
    "D1202",  # Coiffeur / Coiffeuse
    "D1214",  # Vendeur / Vendeuse en prêt-à-porter
    "F1602",  # Electricien / Electricienne du bâtiment
    "F1703",  # Maçon / Maçonne
    "G1602",  # Commis / Commise de cuisine
    "G1609",  # Cuisinier / Cuisinière
    "G1803",  # Serveur / Serveuse en restauration
    "J1301",  # Agent / Agente de service hospitalier (ASH)
    "J1304",  # Auxiliaire de puériculture
    "J1501",  # Aide-soignant / Aide-soignante
    "K1302",  # Assistant / Assistante de vie dépendance
    "K1303",  # Garde d'enfant
    "K1304",  # Employé familial / Employée familiale
    "K2204",  # Agent / Agente de nettoyage industriel
    "K2205",  # Agent / Agente de propreté de locaux
    "K2503",  # Agent / Agente de prévention et de sécurité
    "M1203",  # Comptable
    "M1602",  # Agent administratif / Agente administrative
    "M1607",  # Secrétaire
    "M1805",  # Développeur / Développeuse informatique
    "M1855",  # Développeur / Développeuse web
    "N1101",  # Cariste
    "N1103",  # Préparateur / Préparatrice de commandes
    "N4101",  # Conducteur / Conductrice de poids lourd
)


def _filter(source: Path, target: Path, keep: Callable[[dict[str, str]], bool]) -> int:
    with (
        source.open(encoding="utf-8", newline="") as fin,
        target.open("w", encoding="utf-8", newline="") as fout,
    ):
        reader = csv.reader(fin)
        header = next(reader)
        writer = csv.writer(fout, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(header)
        n = 0
        for row in reader:
            if keep(dict(zip(header, row, strict=True))):
                writer.writerow(row)
                n += 1
    return n


def _column(source: Path, column: str, keep: Callable[[dict[str, str]], bool]) -> set[str]:
    with source.open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle) if keep(row)}


def make_sample(
    rome_dir: str | Path, out_dir: str | Path, codes: Iterable[str] = DEMO_CODES
) -> dict[str, int]:
    """Write the sample files for ``codes`` into ``out_dir``; returns rows written per file.

    Parameters
    ----------
    rome_dir : str or Path
        Folder of the official set.
    out_dir : str or Path
        Folder to write (created if needed).
    codes : iterable of str
        ROME codes to keep.

    Returns
    -------
    dict
        File name -> number of data rows written.
    """
    files = find_rome_files(rome_dir)
    wanted = set(codes)
    missing = wanted - _column(files.paths["referentiel_code_rome"], "code_rome", lambda r: True)
    if missing:
        raise BadInputError(f"unknown ROME code(s): {', '.join(sorted(missing))}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def path(name: str) -> Path:
        found = files.path(name)
        if found is None:
            raise BadInputError(f"missing ROME file {name} in {files.directory}")
        return found

    items = _column(path("coherence_item"), "code_ogr", lambda r: r["code_rome"] in wanted)
    domains = {c[:3] for c in wanted}
    grand_domains = {c[0] for c in wanted}
    rules: dict[str, Callable[[dict[str, str]], bool]] = {
        "referentiel_code_rome": lambda r: r["code_rome"] in wanted,
        "referentiel_appellation": lambda r: r["code_rome"] in wanted,
        "texte": lambda r: r["code_rome"] in wanted,
        "coherence_item": lambda r: r["code_rome"] in wanted,
        "rubrique_mobilite": lambda r: r["code_rome"] in wanted and r["code_rome_cible"] in wanted,
        "item": lambda r: r["code_ogr"] in items,
        "referentiel_competence": lambda r: r["code_ogr"] in items,
        "referentiel_savoir": lambda r: r["code_ogr_savoir"] in items,
        "grand_domaine": lambda r: r["code_grand_domaine"] in grand_domains,
        "domaine_professionnel": lambda r: r["code_domaine_professionnel"] in domains,
        "cr_gd_dp": lambda r: r["code_rome"] in wanted,
        "cr_gd_dp_appellations": lambda r: (
            (r["type_provenance"] == "1" and r["code_grand_domaine"] in grand_domains)
            or (
                r["type_provenance"] == "2"
                and r["code_grand_domaine"] + r["code_domaine_professionnel"] in domains
            )
            or (
                r["type_provenance"] == "3"
                and r["code_grand_domaine"] + r["code_domaine_professionnel"] + r["numero_fiche_rome"]
                in wanted
            )
        ),
    }
    counts: dict[str, int] = {}
    for name, keep in rules.items():
        source = path(name)
        counts[source.name] = _filter(source, out / source.name, keep)
    # appellation rows of the tree file (type 4) carry the fiche's OGR code, not its ROME code
    tree = out / path("cr_gd_dp_appellations").name
    ogr = _column(path("referentiel_code_rome"), "code_ogr", lambda r: r["code_rome"] in wanted)
    counts[tree.name] = _filter(
        path("cr_gd_dp_appellations"),
        tree,
        lambda r: rules["cr_gd_dp_appellations"](r) or (r["type_provenance"] == "4" and r["ogr_rome"] in ogr),
    )
    note = files.directory / "version.txt"
    if note.is_file():
        shutil.copyfile(note, out / "version.txt")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m parcours.stats.labour.make_sample", description=__doc__)
    parser.add_argument("--rome-dir", required=True, help="folder of the official ROME set")
    parser.add_argument("--out", required=True, help="folder to write the sample into")
    parser.add_argument("--code", action="append", help="ROME code to keep (repeat; default: the demo set)")
    args = parser.parse_args(argv)
    try:
        counts = make_sample(args.rome_dir, args.out, args.code or DEMO_CODES)
    except BadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, n in counts.items():
        print(f"{name}\t{n}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
