"""``parcours evaluation estimate|power|send-surveys|compute-indicators|propose-indicator-version|
activate-indicator-version``.

`estimate` and `power` work on CSV files and numbers (no database): their logic lives in
:mod:`parcours.stats.evaluation.cli` (Django-free). `send-surveys` and `compute-indicators` are
the platform's periodic jobs.
"""

import datetime
import json

from django.core.exceptions import ValidationError

from parcours.cli import AreaCommand, BadInput
from parcours.evaluation import actions
from parcours.evaluation.indicators import compute_indicators, ensure_registry
from parcours.evaluation.models import Indicator, IndicatorVersion
from parcours.evaluation.surveys import send_due_surveys
from parcours.stats.evaluation import cli


class Command(AreaCommand):
    help = "Evaluate randomised experiments: `estimate` an impact from a CSV file, `power` of a design."

    def add_verbs(self):
        # the science core's parsers declare their own --json
        cli.add_estimate_arguments(
            self.verb("estimate", "ITT (or LATE with --instrument) with robust or clustered standard errors")
        )
        cli.add_power_arguments(
            self.verb("power", "sample size, minimum detectable effect or power of a design")
        )
        send = self.verb("send-surveys", "send the satisfaction surveys that are due (idempotent)", json=True)
        send.add_argument(
            "--today", type=datetime.date.fromisoformat, help="as if today were this date (YYYY-MM-DD)"
        )
        compute = self.verb("compute-indicators", "compute and store every indicator version", json=True)
        compute.add_argument("--period", help="2025, 2025-Q1 or 2025-03 (the whole year is computed)")
        compute.add_argument(
            "--as-of", type=datetime.date.fromisoformat, help="data as of this date (YYYY-MM-DD)"
        )
        compute.add_argument("--indicator", action="append", help="only this indicator code (repeatable)")
        propose = self.verb(
            "propose-indicator-version",
            "propose a new version of an indicator (computed, not published until activated)",
            json=True,
        )
        propose.add_argument("code", help="indicator code, e.g. employment_6m")
        propose.add_argument(
            "--formula", required=True, help="a registered computation, e.g. observed_employment"
        )
        propose.add_argument(
            "--parameters", default="{}", help='its parameters as a JSON object, e.g. {"scale": 100}'
        )
        propose.add_argument("--notes", required=True, help="what changes in this version")
        propose.add_argument(
            "--valid-from", type=datetime.date.fromisoformat, help="YYYY-MM-DD (default today)"
        )
        activate = self.verb(
            "activate-indicator-version", "activate (publish) a proposed version of an indicator", json=True
        )
        activate.add_argument("code", help="indicator code")
        activate.add_argument("number", type=int, help="version number")

    def verb_estimate(self, options):
        self.stdout.write(cli.run("estimate", options))

    def verb_power(self, options):
        self.stdout.write(cli.run("power", options))

    def verb_send_surveys(self, options):
        result = send_due_surveys(options.get("today"))
        return self._counts(result, "invitation(s)")

    def verb_compute_indicators(self, options):
        try:
            result = compute_indicators(
                period=options.get("period"), as_of=options.get("as_of"), codes=options.get("indicator")
            )
        except ValueError as exc:
            raise BadInput(str(exc)) from exc
        return self._counts(result, "value(s)")

    def _indicator(self, code: str) -> Indicator:
        ensure_registry()
        indicator = Indicator.objects.filter(code=code).first()
        if indicator is None:
            raise BadInput(f"no indicator {code!r}")
        return indicator

    def verb_propose_indicator_version(self, options):
        indicator = self._indicator(options["code"])
        try:
            parameters = json.loads(options["parameters"])
        except json.JSONDecodeError as exc:
            raise BadInput(f"--parameters is not JSON: {exc}") from exc
        try:
            version = actions.revise_indicator(
                indicator,
                by=None,
                formula_key=options["formula"],
                parameters=parameters,
                notes=options["notes"],
                valid_from=options.get("valid_from"),
            )
        except ValidationError as exc:
            raise BadInput("; ".join(exc.messages)) from exc
        return {"indicator": indicator.code, "version": version.number, "status": "proposed"}

    def verb_activate_indicator_version(self, options):
        indicator = self._indicator(options["code"])
        version = IndicatorVersion.objects.filter(indicator=indicator, number=options["number"]).first()
        if version is None:
            raise BadInput(f"{indicator.code} has no version {options['number']}")
        try:
            actions.activate_indicator_version(version, by=None)
        except ValidationError as exc:
            raise BadInput("; ".join(exc.messages)) from exc
        return {"indicator": indicator.code, "version": version.number, "status": "active"}

    def _counts(self, result: dict, what: str):
        if self.options["json"]:
            return result
        for key, count in result.items():
            self.stdout.write(f"{key}: {count} {what}")
        return None
