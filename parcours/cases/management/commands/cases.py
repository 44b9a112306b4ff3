"""``parcours cases partitions``: the monthly partitions of the audit tables (daily job).

Exit codes: 0 success (also on SQLite, where there is nothing to do), 2 bad option, 1 anything else.
"""

from __future__ import annotations

from parcours.cases import partitions
from parcours.cli import AreaCommand, BadInput


class Command(AreaCommand):
    help = "Case files: upkeep of the audit tables."

    def add_verbs(self):
        verb = self.verb(
            "partitions",
            "create the coming months' partitions of CaseEvent and AccessLog (PostgreSQL), and the "
            "months whose rows sit in the default partition, rows moved in; idempotent (daily job)",
            json=True,
        )
        verb.add_argument(
            "--months-ahead",
            type=int,
            default=partitions.MONTHS_AHEAD,
            help=f"months to create after the current one (default {partitions.MONTHS_AHEAD})",
        )

    def verb_partitions(self, options):
        if options["months_ahead"] < 0 or options["months_ahead"] > 120:
            raise BadInput("--months-ahead must be between 0 and 120")
        if not partitions.supported():
            return {"database": "sqlite", "partitioned": False}
        result = partitions.ensure_partitions(months_ahead=options["months_ahead"])
        if self.options.get("json"):
            return {"database": "postgresql", "partitioned": bool(result), "tables": result}
        summary = {"database": "postgresql", "partitioned": bool(result)}
        for table, counts in result.items():
            summary[f"{table}.created"] = len(counts["created"])
            summary[f"{table}.moved_from_default"] = counts["moved_from_default"]
            summary[f"{table}.partitions"] = counts["partitions"]
        return summary
