"""The verbs of ``parcours labour`` owned by this app: import-rome, import-esco, normalise.

Registered in parcours.labour.cli (other apps add theirs in their own labour_commands.py).
Exit codes: 0 success, 2 bad input (folder or file missing or unreadable, invalid rows without
--skip-invalid, no referential loaded, empty input), 1 anything else.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.db import DatabaseError

from parcours.labour import importers
from parcours.labour.cli import register
from parcours.labour.models import Taxonomy
from parcours.stats.errors import BadInputError


def _progress_bar(command, options, desc: str, *, total: int | None = None, unit: str = "rows"):
    """A tqdm bar on stderr (never stdout: --json output must stay one document)."""
    from tqdm import tqdm

    stream = getattr(command.stderr, "_out", sys.stderr)
    return tqdm(total=total, desc=desc, unit=unit, file=stream, disable=options.get("no_progress", False))


def _print_report(command, options, report: importers.ImportReport) -> None:
    for issue in report.issues:
        command.stderr.write(f"{issue['file']}:{issue['line']}: {issue['severity']}: {issue['message']}")
    if options["json"]:
        command.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    if report.aborted:
        return
    totals = " ".join(
        f"{name}={sum(v for k, v in c.items() if k != 'deleted' and k != 'deactivated')}"
        for name, c in report.counts.items()
    )
    command.stdout.write(
        f"{report.taxonomy} version={report.version} referential={report.referential_id} {totals} "
        f"skipped={len(report.errors)} seconds={report.duration_seconds:.1f} fit_seconds={report.fit_seconds:.1f}"
    )


def _import_arguments(parser, *, what: str) -> None:
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid rows and report the others (default: any invalid row aborts the import)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document on stdout")
    parser.add_argument(
        "--no-fit", action="store_true", help=f"do not fit the {what} normaliser after the import"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _rome_arguments(parser) -> None:
    parser.add_argument(
        "directory", help="folder of the official unix_*_v<version>_utf8.csv files (any version)"
    )
    _import_arguments(parser, what="job-title and skill")


def _run_import(command, options, label: str, run) -> None:
    bar = _progress_bar(command, options, label)
    try:
        report = run(bar)
    except BadInputError as exc:
        raise CommandError(str(exc), returncode=2) from exc
    except importers.ImportAborted as exc:
        _print_report(command, options, exc.report)
        raise CommandError(
            f"{len(exc.report.errors)} invalid row(s), nothing imported; fix them or use --skip-invalid",
            returncode=2,
        ) from exc
    finally:
        bar.close()
    _print_report(command, options, report)


@register(
    "import-rome",
    help="import the official ROME 4.0 CSV set (idempotent, all or nothing)",
    add_arguments=_rome_arguments,
)
def import_rome(command, options) -> None:
    def run(bar):
        return importers.import_rome(
            options["directory"],
            skip_invalid=options["skip_invalid"],
            fit=not options["no_fit"],
            progress=bar.update,
            on_read=lambda ref: setattr(bar, "total", importers.rome_row_count(ref)),
        )

    _run_import(command, options, "ROME", run)


def _esco_arguments(parser) -> None:
    parser.add_argument("file", help="ESCO occupations_<lang>.csv export")
    parser.add_argument("--lang", help="language of the labels (default: from the file name)")
    _import_arguments(parser, what="ESCO job-title")


@register(
    "import-esco",
    help="import ESCO occupations (occupations_<lang>.csv, any language)",
    add_arguments=_esco_arguments,
)
def import_esco(command, options) -> None:
    def run(bar):
        return importers.import_esco(
            options["file"],
            language=options["lang"],
            skip_invalid=options["skip_invalid"],
            fit=not options["no_fit"],
            progress=bar.update,
        )

    _run_import(command, options, "ESCO", run)


# --------------------------------------------------------------------------- normalise


def _normalise_arguments(parser) -> None:
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="job titles to normalise")
    parser.add_argument("--taxonomy", choices=[t.value for t in Taxonomy], default=Taxonomy.ROME)
    parser.add_argument("--lang", default="fr", help="ESCO label language (default fr)")
    parser.add_argument("--top", type=int, default=5, help="results per title (default 5)")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--input", help="file with one job title per line; writes JSON Lines")
    parser.add_argument("--output", help="write the JSON Lines there instead of stdout (with --input)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr (with --input)")
    parser.add_argument(
        "--rome-dir",
        help="fit on this ROME CSV folder instead of the database (works without any database)",
    )


def _read_input(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line.strip() for line in handle]
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read input: {exc}", returncode=2) from exc
    titles = [line for line in lines if line]
    if not titles:
        raise CommandError(f"{path}: empty input (no job title)", returncode=2)
    return titles


def _normaliser_from_dir(directory: str):
    from parcours.stats.labour.normalise import JobTitleNormaliser
    from parcours.stats.labour.rome import read_rome

    ref = read_rome(directory)
    if not ref.occupations:
        raise BadInputError(f"{directory}: no valid occupation")
    labels, codes = ref.label_pairs()
    code_labels = {code: occ.label for code, occ in ref.occupations.items()}
    normaliser = JobTitleNormaliser().fit(labels, codes, code_labels=code_labels, code_texts=ref.code_texts())
    return normaliser, f"{Path(directory).name} (v{ref.version})"


def _normaliser_from_db(taxonomy: str, language: str):
    from parcours.labour.normalising import NoReferential, fit_from_db, get_normaliser

    lang = language if taxonomy == Taxonomy.ESCO else "fr"
    try:
        try:
            normaliser, artefact = get_normaliser(taxonomy, language=lang)
            return normaliser, f"artefact {artefact.pk} ({artefact.referential})"
        except NoReferential:
            normaliser, _ = fit_from_db(taxonomy, language=lang)
            return normaliser, "database (no stored artefact: fitted now)"
    except NoReferential as exc:
        raise CommandError(
            f"no {taxonomy} referential loaded: run `parcours labour import-{taxonomy}` or give --rome-dir",
            returncode=2,
        ) from exc
    except DatabaseError as exc:
        raise CommandError(
            f"database unavailable or not migrated ({exc.__class__.__name__}); give --rome-dir DIR to work without it",
            returncode=2,
        ) from exc


BATCH_BLOCK = 4096


def _query_all(command, options, normaliser, titles: list[str]) -> list:
    """Every title's matches; a batch file goes by blocks, with a progress bar and every core
    on the sparse product."""
    if not options["input"]:
        return normaliser.query_batch(titles, top=options["top"])
    threads = os.cpu_count() or 1
    results: list = []
    with _progress_bar(command, options, "normalise", total=len(titles), unit="titles") as bar:
        for start in range(0, len(titles), BATCH_BLOCK):
            block = titles[start : start + BATCH_BLOCK]
            results += normaliser.query_batch(block, top=options["top"], n_threads=threads)
            bar.update(len(block))
    return results


def _result(query: str, matches) -> dict:
    return {
        "query": query,
        "results": [{"code": m.code, "label": m.label, "score": m.score} for m in matches],
    }


@register(
    "normalise",
    help="map free-text job titles to ROME codes or ESCO URIs",
    add_arguments=_normalise_arguments,
)
def normalise(command, options) -> None:
    if options["top"] < 1:
        raise CommandError(f"--top must be >= 1, got {options['top']}", returncode=2)
    if options["input"] and options["texts"]:
        raise CommandError("give job titles as arguments or with --input, not both", returncode=2)
    if options["rome_dir"] and options["taxonomy"] != Taxonomy.ROME:
        raise CommandError("--rome-dir only works with --taxonomy rome", returncode=2)
    if options["input"]:
        titles = _read_input(options["input"])
    else:
        titles = [t.strip() for t in options["texts"]]
        if not any(titles):
            raise CommandError("no job title given (TEXT arguments or --input FILE)", returncode=2)
    try:
        if options["rome_dir"]:
            normaliser, source = _normaliser_from_dir(options["rome_dir"])
        else:
            normaliser, source = _normaliser_from_db(options["taxonomy"], options["lang"])
        results = _query_all(command, options, normaliser, titles)
    except BadInputError as exc:
        raise CommandError(str(exc), returncode=2) from exc

    if options["input"]:
        lines = (
            json.dumps(_result(q, m), ensure_ascii=False) + "\n" for q, m in zip(titles, results, strict=True)
        )
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8") as handle:
                    handle.writelines(lines)
            except OSError as exc:
                raise CommandError(f"{options['output']}: cannot write: {exc}", returncode=2) from exc
        else:
            for line in lines:
                command.stdout.write(line, ending="")
        return
    if options["json"]:
        document = {
            "taxonomy": options["taxonomy"],
            "source": source,
            "top": options["top"],
            "queries": [_result(q, m) for q, m in zip(titles, results, strict=True)],
        }
        command.stdout.write(json.dumps(document, ensure_ascii=False))
        return
    for query, matches in zip(titles, results, strict=True):
        command.stdout.write(query)
        if not matches:
            command.stdout.write("  (aucun résultat)")
        for rank, match in enumerate(matches, 1):
            command.stdout.write(f"  {rank}. {match.code}  {match.label}  {match.score:.3f}")
