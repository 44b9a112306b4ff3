"""The platform verbs of ``parcours evaluation``: ``send-surveys`` and ``compute-indicators``.

The command module (management/commands/evaluation.py) belongs to the science core; it wires
these two verbs with ``add_platform_verbs(verbs)`` in ``add_arguments`` and, in ``handle``,
``if options["verb"] in PLATFORM_VERBS: return self.stdout.write(run_platform_verb(...))``.
"""

import datetime
import json

from django.core.management.base import CommandError

PLATFORM_VERBS = ("send-surveys", "compute-indicators")


def add_platform_verbs(verbs) -> None:
    send = verbs.add_parser("send-surveys", help="send the satisfaction surveys that are due (idempotent)")
    send.add_argument(
        "--today", type=datetime.date.fromisoformat, help="as if today were this date (YYYY-MM-DD)"
    )
    send.add_argument("--json", action="store_true", help="print one JSON document")
    compute = verbs.add_parser("compute-indicators", help="compute and store every indicator version")
    compute.add_argument("--period", help="2025, 2025-Q1 or 2025-03 (the whole year is computed)")
    compute.add_argument(
        "--as-of", type=datetime.date.fromisoformat, help="data as of this date (YYYY-MM-DD)"
    )
    compute.add_argument("--indicator", action="append", help="only this indicator code (repeatable)")
    compute.add_argument("--json", action="store_true", help="print one JSON document")


def run_platform_verb(verb: str, options: dict) -> str:
    if verb == "send-surveys":
        from parcours.evaluation.surveys import send_due_surveys

        result = send_due_surveys(options.get("today"))
        lines = [f"{moment}: {count} invitation(s)" for moment, count in result.items()]
    elif verb == "compute-indicators":
        from parcours.evaluation.indicators import compute_indicators

        try:
            result = compute_indicators(
                period=options.get("period"), as_of=options.get("as_of"), codes=options.get("indicator")
            )
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        lines = [f"{version}: {count} value(s)" for version, count in result.items()]
    else:
        raise CommandError(f"unknown verb {verb!r}", returncode=2)
    return json.dumps(result, ensure_ascii=False) if options.get("json") else "\n".join(lines)
