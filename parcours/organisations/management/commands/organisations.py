"""``parcours organisations import-communes --communes FILE --postcodes FILE``: the official
communes (INSEE, Code officiel géographique) and their postcodes (La Poste). See
parcours/organisations/importers.py for the formats. Exit 0 imported, 2 bad input (nothing written)."""

from parcours.cli import AreaCommand
from parcours.organisations.importers import import_communes


class Command(AreaCommand):
    help = "Organisations and territories: import of the official communes and postcodes."

    def add_verbs(self):
        verb = self.verb(
            "import-communes",
            "import INSEE's communes file and La Poste's postcodes file (idempotent, all or nothing)",
            json=True,
            progress=True,
        )
        verb.add_argument("--communes", required=True, metavar="FILE", help="INSEE v_commune_<year>.csv")
        verb.add_argument(
            "--postcodes",
            required=True,
            metavar="FILE",
            help="La Poste 019HexaSmal.csv (base officielle des codes postaux)",
        )

    def verb_import_communes(self, options):
        with self.progress(desc="communes", unit="communes") as bar:
            report = import_communes(options["communes"], options["postcodes"], progress=bar)
        result = report.as_dict()
        if not options["json"]:
            result.pop("skipped_codes")
        return result
