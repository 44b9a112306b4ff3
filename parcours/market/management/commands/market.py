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

import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from parcours.market import actions
from parcours.market.importers import BadPayload, import_hires_csv, import_offers_csv, import_offers_json

VERBS = ["import-offers", "import-hires", "compute-tension", "train-hiring", "predict-hiring"]


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}", returncode=2) from exc


class Command(BaseCommand):
    help = "Labour market: offers and hiring declarations imports, tension, hiring predictions."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="{" + ",".join(VERBS) + "}")
        offers = verbs.add_parser("import-offers", help="import job offers (France Travail JSON or CSV)")
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
        offers.add_argument("--json", action="store_true")
        offers.add_argument("--no-progress", action="store_true")
        hires = verbs.add_parser("import-hires", help="import hiring declarations (CSV)")
        hires.add_argument("file")
        hires.add_argument("--json", action="store_true")
        hires.add_argument("--no-progress", action="store_true")
        tension = verbs.add_parser("compute-tension", help="compute tension per occupation × département")
        tension.add_argument(
            "--end", type=_date, help="period end (its month's first day, excluded); default today"
        )
        tension.add_argument("--months", type=int, default=12)
        tension.add_argument("--min-seekers", type=int, default=5)
        train = verbs.add_parser(
            "train-hiring", help="evaluate the hiring model on a later period and record it"
        )
        train.add_argument("--as-of", type=_date)
        train.add_argument("--kind", choices=["glm", "lightgbm"], default="glm")
        train.add_argument("--json", action="store_true")
        predict = verbs.add_parser("predict-hiring", help="store the latest model's predictions")
        predict.add_argument("--as-of", type=_date)

    def handle(self, *args, **options):
        return getattr(self, "_" + options["verb"].replace("-", "_"))(options)

    def _report(self, report, options):
        for error in report.errors:
            self.stderr.write(f"error {error}")
        if options.get("json"):
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(
                f"total={report.total} created={report.created} updated={report.updated} "
                f"unchanged={report.unchanged} duplicates={report.duplicates} errors={len(report.errors)}"
            )

    def _import_offers(self, options):
        progress = not options["no_progress"]
        if options["from_api"]:
            from parcours.market.france_travail import FranceTravailClient

            client = FranceTravailClient.from_env()
            criteria = {"codeROME": ",".join(options["rome"])} if options["rome"] else {}
            if options["commune"]:
                criteria |= {"commune": options["commune"], "distance": options["distance"]}
            records = list(client.search_offers(**criteria))
            report = import_offers_json(
                records, source=options["source"] or "france_travail", progress=progress
            )
            return self._report(report, options)
        path = options["file"]
        if not path:
            raise CommandError("a FILE is required (or --from-api)", returncode=2)
        fmt = options["format"] or ("csv" if path.lower().endswith(".csv") else "json")
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                if fmt == "csv":
                    report = import_offers_csv(handle, source=options["source"] or "csv", progress=progress)
                else:
                    report = import_offers_json(
                        json.load(handle), source=options["source"] or "france_travail", progress=progress
                    )
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from exc
        except BadPayload as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from exc
        return self._report(report, options)

    def _import_hires(self, options):
        try:
            with open(options["file"], encoding="utf-8-sig", newline="") as handle:
                report = import_hires_csv(handle, progress=not options["no_progress"])
        except (OSError, BadPayload) as exc:
            raise CommandError(f"{options['file']}: {exc}", returncode=2) from exc
        return self._report(report, options)

    def _compute_tension(self, options):
        cells = actions.compute_tension_values(
            end=options["end"], months=options["months"], min_seekers=options["min_seekers"]
        )
        self.stdout.write(f"cells={cells}")

    def _train_hiring(self, options):
        try:
            run = actions.train_hiring_model(as_of=options["as_of"], kind=options["kind"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"version": run.version, **run.metrics}))
        else:
            m = run.metrics
            self.stdout.write(
                f"version={run.version} capture_top10_model={m['capture_model']:.3f} "
                f"capture_top10_baseline={m['capture_baseline']:.3f} establishments={m['n_establishments']}"
            )

    def _predict_hiring(self, options):
        try:
            rows = actions.predict_hiring(as_of=options["as_of"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(f"predictions={rows}")
