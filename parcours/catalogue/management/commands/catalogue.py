"""``parcours catalogue import|export|remind-stale|expire-referrals``.

- import FILE.json: structures and services in the data·inclusion schema; one line per rejected
  record on stderr (kind, index, id, field, message); exit 2 if the file is unreadable.
- export [--out FILE]: the active catalogue in the same schema (stdout by default).
- remind-stale: notify providers of stale services (once per service per period). Idempotent.
- expire-referrals: expire unanswered proposals and remind those about to expire. Idempotent.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from parcours.catalogue import actions
from parcours.catalogue.exchange import BadPayload, import_catalogue, iter_export_json
from parcours.catalogue.models import Service


class Command(BaseCommand):
    help = "Catalogue of services: data·inclusion import/export, freshness reminders, referral expiry."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(
            dest="verb", required=True, metavar="{import,export,remind-stale,expire-referrals}"
        )
        importer = verbs.add_parser(
            "import", help="import a data·inclusion JSON file (structures and services)"
        )
        importer.add_argument(
            "file", help="JSON file: {structures: [...], services: [...]} or a list of records"
        )
        importer.add_argument("--json", action="store_true", help="print the report as one JSON document")
        exporter = verbs.add_parser("export", help="export the active catalogue in the data·inclusion schema")
        exporter.add_argument("--out", help="output file (default: stdout)")
        verbs.add_parser("remind-stale", help="notify providers of services not updated in time")
        verbs.add_parser("expire-referrals", help="expire unanswered referrals and send reminders")

    def handle(self, *args, **options):
        verb = options["verb"]
        if verb == "import":
            return self._import(options)
        if verb == "export":
            return self._export(options)
        if verb == "remind-stale":
            self.stdout.write(f"reminders={actions.remind_stale_services()}")
            return None
        result = actions.expire_overdue_referrals()
        self.stdout.write(f"expired={result['expired']} reminders={result['reminders']}")
        return None

    def _import(self, options):
        try:
            with open(options["file"], encoding="utf-8") as handle:
                payload = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{options['file']}: cannot read JSON: {exc}", returncode=2) from exc
        try:
            report = import_catalogue(payload)
        except BadPayload as exc:
            raise CommandError(f"{options['file']}: {exc}", returncode=2) from exc
        for error in report.errors:
            self.stderr.write(f"error {error}")
        for warning in report.warnings:
            self.stderr.write(f"warning {warning}")
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(
                f"structures_created={report.structures_created} structures_updated={report.structures_updated} "
                f"services_created={report.services_created} services_updated={report.services_updated} "
                f"errors={len(report.errors)}"
            )
        return None

    def _export(self, options):
        chunks = iter_export_json(Service.objects.active())
        if options.get("out"):
            with open(options["out"], "w", encoding="utf-8") as handle:
                for chunk in chunks:
                    handle.write(chunk)
        else:
            out = self.stdout if self.stdout else sys.stdout
            for chunk in chunks:
                out.write(chunk, ending="")
        return None
