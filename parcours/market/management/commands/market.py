"""``parcours market import-offers|import-hires|compute-tension|train-hiring|predict-hiring``.

- import-offers FILE [--format json|csv] [--source NAME] [--from-api --rome J1501 --commune 59350]:
  France Travail "Offres d'emploi v2" JSON ({"resultats": [...]} or a list) or CSV; one line per
  rejected record on stderr (index, id, field, message); exit 2 if the file is unreadable.
- import-hires FILE: hiring declarations CSV (siret, hired_on, rome_code, ...).
- compute-tension [--end YYYY-MM-DD] [--months 12]: tension per occupation × département.
- train-hiring [--as-of YYYY-MM-DD] [--kind glm|lightgbm]: evaluate on the last 6 months, record the run.
- predict-hiring [--as-of YYYY-MM-DD]: predictions of the latest run for the next 6 months.
``--json`` prints one JSON document on stdout; progress bars and errors go to stderr.
"""

from parcours.cli import AreaCommand, BadInput, iso_date
from parcours.market import actions
from parcours.market.france_travail import FranceTravailClient
from parcours.market.importers import BadPayload, import_hires_csv, import_offers_csv, import_offers_json
from parcours.stats.tabular import read_json

SKIP_INVALID = "import the valid records and report the others (default: any invalid record imports nothing)"


class Command(AreaCommand):
    help = "Labour market: offers and hiring declarations imports, tension, hiring predictions."

    def add_verbs(self):
        offers = self.verb(
            "import-offers", "import job offers (France Travail JSON or CSV)", json=True, progress=True
        )
        offers.add_argument("file", nargs="?", help="JSON or CSV file")
        offers.add_argument("--format", choices=["json", "csv"], help="default: from the file extension")
        offers.add_argument("--source", help="source name (default france_travail for JSON, csv for CSV)")
        offers.add_argument(
            "--from-api",
            action="store_true",
            help="fetch from the France Travail API (USE_FRANCE_TRAVAIL_API)",
        )
        offers.add_argument("--rome", action="append", default=[], help="with --from-api: ROME code (repeat)")
        offers.add_argument("--commune", help="with --from-api: commune INSEE code")
        offers.add_argument("--distance", type=int, default=30, help="with --from-api: km around the commune")
        offers.add_argument("--skip-invalid", action="store_true", help=SKIP_INVALID)
        hires = self.verb("import-hires", "import hiring declarations (CSV)", json=True, progress=True)
        hires.add_argument("file")
        hires.add_argument("--skip-invalid", action="store_true", help=SKIP_INVALID)
        tension = self.verb("compute-tension", "compute tension per occupation × département", json=True)
        tension.add_argument(
            "--end", type=iso_date, help="period end (its month's first day, excluded); default today"
        )
        tension.add_argument("--months", type=int, default=12)
        tension.add_argument("--min-seekers", type=int, default=5)
        train = self.verb(
            "train-hiring", "evaluate the hiring model on a later period and record it", json=True
        )
        train.add_argument("--as-of", type=iso_date)
        train.add_argument("--kind", choices=["glm", "lightgbm"], default="glm")
        predict = self.verb("predict-hiring", "store the latest model's predictions", json=True)
        predict.add_argument("--as-of", type=iso_date)

    def _report(self, report) -> dict:
        for error in report.errors:
            self.stderr.write(f"error {error}")
        if self.options["json"]:
            return report.as_dict()
        return {
            "total": report.total,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "duplicates": report.duplicates,
            "inferred": report.inferred,
            "uncertain": report.uncertain,
            "errors": len(report.errors),
        }

    def verb_import_offers(self, options):
        flags = {"progress": not options["no_progress"], "skip_invalid": options["skip_invalid"]}
        if options["from_api"]:
            client = FranceTravailClient.from_settings()
            criteria = {"codeROME": ",".join(options["rome"])} if options["rome"] else {}
            if options["commune"]:
                criteria |= {"commune": options["commune"], "distance": options["distance"]}
            records = list(client.search_offers(**criteria))
            report = import_offers_json(
                records, source=options["source"] or "france_travail", name="France Travail API", **flags
            )
            return self._report(report)
        path = options["file"]
        if not path:
            raise BadInput("a FILE is required (or --from-api)")
        fmt = options["format"] or ("csv" if path.lower().endswith(".csv") else "json")
        try:
            if fmt == "csv":
                report = import_offers_csv(path, source=options["source"] or "csv", **flags)
            else:
                report = import_offers_json(
                    read_json(path), source=options["source"] or "france_travail", name=path, **flags
                )
        except BadPayload as exc:
            raise BadInput(f"{path}: {exc}") from exc
        return self._report(report)

    def verb_import_hires(self, options):
        try:
            report = import_hires_csv(
                options["file"], progress=not options["no_progress"], skip_invalid=options["skip_invalid"]
            )
        except BadPayload as exc:
            raise BadInput(f"{options['file']}: {exc}") from exc
        return self._report(report)

    def verb_compute_tension(self, options):
        cells = actions.compute_tension_values(
            end=options["end"], months=options["months"], min_seekers=options["min_seekers"]
        )
        return {"cells": cells}

    def verb_train_hiring(self, options):
        try:
            run = actions.train_hiring_model(as_of=options["as_of"], kind=options["kind"])
        except ValueError as exc:
            raise BadInput(str(exc)) from exc
        if options["json"]:
            return {"version": run.version, **run.metrics}
        m = run.metrics
        return {
            "version": run.version,
            "capture_top10_model": f"{m['capture_model']:.3f}",
            "capture_top10_baseline": f"{m['capture_baseline']:.3f}",
            "establishments": m["n_establishments"],
        }

    def verb_predict_hiring(self, options):
        try:
            rows = actions.predict_hiring(as_of=options["as_of"])
        except ValueError as exc:
            raise BadInput(str(exc)) from exc
        return {"predictions": rows}
