"""``parcours catalogue import|export|remind-stale|expire-referrals``.

- import FILE.json: structures and services in the data·inclusion schema; one line per rejected
  record on stderr (kind, index, id, field, message); exit 2 if the file is unreadable.
- export [--out FILE]: the active catalogue in the same schema (stdout by default).
- remind-stale: notify providers of stale services (once per service per period). Idempotent.
- expire-referrals: expire unanswered proposals and remind those about to expire. Idempotent.
"""

from parcours.catalogue import actions
from parcours.catalogue.exchange import BadPayload, import_catalogue, iter_export_json
from parcours.catalogue.models import Service
from parcours.cli import AreaCommand, BadInput
from parcours.stats.tabular import InvalidRows, read_json


class Command(AreaCommand):
    help = "Catalogue of services: data·inclusion import/export, freshness reminders, referral expiry."

    def add_verbs(self):
        importer = self.verb(
            "import", "import a data·inclusion JSON file (structures and services)", json=True
        )
        importer.add_argument(
            "file", help="JSON file: {structures: [...], services: [...]} or a list of records"
        )
        importer.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid records and report the others (default: any invalid record imports nothing)",
        )
        exporter = self.verb("export", "export the active catalogue in the data·inclusion schema")
        exporter.add_argument("--out", help="output file (default: stdout)")
        self.verb("remind-stale", "notify providers of services not updated in time", json=True)
        self.verb("expire-referrals", "expire unanswered referrals and send reminders", json=True)

    def verb_import(self, options):
        path = options["file"]
        try:
            report = import_catalogue(read_json(path), skip_invalid=options["skip_invalid"])
        except BadPayload as exc:
            raise BadInput(f"{path}: {exc}") from exc
        except InvalidRows as exc:
            raise InvalidRows(f"{path}: {exc}", exc.problems, exc.report) from exc
        if not (
            report.structures_created
            + report.structures_updated
            + report.services_created
            + report.services_updated
        ):
            raise InvalidRows(f"{path}: no valid record", [str(e) for e in report.errors], report)
        for error in report.errors:
            self.stderr.write(f"error {error}")
        for warning in report.warnings:
            self.stderr.write(f"warning {warning}")
        if options["json"]:
            return report.as_dict()
        return {
            "structures_created": report.structures_created,
            "structures_updated": report.structures_updated,
            "services_created": report.services_created,
            "services_updated": report.services_updated,
            "errors": len(report.errors),
        }

    def verb_export(self, options):
        chunks = iter_export_json(Service.objects.active())
        if options.get("out"):
            try:
                with open(options["out"], "w", encoding="utf-8") as handle:
                    for chunk in chunks:
                        handle.write(chunk)
            except OSError as exc:
                raise BadInput(f"{options['out']}: cannot write: {exc}") from exc
        else:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")

    def verb_remind_stale(self, options):
        return {"reminders": actions.remind_stale_services()}

    def verb_expire_referrals(self, options):
        result = actions.expire_overdue_referrals()
        return {"expired": result["expired"], "reminders": result["reminders"]}
