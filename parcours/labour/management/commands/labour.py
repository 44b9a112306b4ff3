"""``parcours labour import-rome|import-esco|normalise``: occupation referentials and job titles.

Exit codes: 0 success, 2 bad input (folder or file missing or unreadable, invalid rows without
--skip-invalid, no referential loaded, empty input), 1 anything else.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.db import DatabaseError

from parcours.cli import AreaCommand, BadInput
from parcours.labour import importers
from parcours.labour.models import Taxonomy
from parcours.labour.normalising import NoReferential, fit_from_db, get_normaliser
from parcours.stats.labour.normalise import JobTitleNormaliser, semantic_normaliser
from parcours.stats.labour.rome import read_rome
from parcours.stats.tabular import problem_lines

BATCH_BLOCK = 4096


def _import_arguments(parser, *, what: str) -> None:
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid rows and report the others (default: any invalid row aborts the import)",
    )
    parser.add_argument(
        "--no-fit", action="store_true", help=f"do not fit the {what} normaliser after the import"
    )


def _result(query: str, matches) -> dict:
    return {
        "query": query,
        "results": [{"code": m.code, "label": m.label, "score": m.score} for m in matches],
    }


class Command(AreaCommand):
    help = "Labour-market referentials: ROME/ESCO imports, job-title normalisation."

    def add_verbs(self):
        rome = self.verb(
            "import-rome",
            "import the official ROME 4.0 CSV set (idempotent, all or nothing)",
            json=True,
            progress=True,
        )
        rome.add_argument(
            "directory", help="folder of the official unix_*_v<version>_utf8.csv files (any version)"
        )
        _import_arguments(rome, what="job-title and skill")
        esco = self.verb(
            "import-esco",
            "import ESCO: occupations_<lang>.csv, or the folder of the ESCO CSV download (occupations, "
            "skills, skill groups, hierarchies, occupation-skill relations)",
            json=True,
            progress=True,
        )
        esco.add_argument("file", help="ESCO occupations_<lang>.csv, or the folder of an ESCO CSV download")
        esco.add_argument("--lang", help="language of the labels (default: from the file name)")
        esco.add_argument(
            "--mapping",
            metavar="FILE",
            help="ROME <-> ESCO crosswalk CSV (code_rome and/or code_ogr, ESCO URI, relation; columns "
            "found by header name): links stored, Occupation.esco_uri filled; needs the ROME imported",
        )
        _import_arguments(esco, what="ESCO job-title")
        normalise = self.verb(
            "normalise", "map free-text job titles to ROME codes or ESCO URIs", json=True, progress=True
        )
        normalise.add_argument("texts", nargs="*", metavar="TEXT", help="job titles to normalise")
        normalise.add_argument("--taxonomy", choices=[t.value for t in Taxonomy], default=Taxonomy.ROME)
        normalise.add_argument("--lang", default="fr", help="ESCO label language (default fr)")
        normalise.add_argument("--top", type=int, default=5, help="results per title (default 5)")
        normalise.add_argument("--input", help="file with one job title per line; writes JSON Lines")
        normalise.add_argument("--output", help="write the JSON Lines there instead of stdout (with --input)")
        normalise.add_argument(
            "--rome-dir",
            help="fit on this ROME CSV folder instead of the database (works without any database)",
        )
        normalise.add_argument(
            "--fast",
            action="store_true",
            help="lexical stages only: no sentence embedding (faster, less accurate on informal titles)",
        )

    # ------------------------------------------------------------------ imports

    def _print_report(self, report: importers.ImportReport) -> None:
        issues = [f"{i['file']}:{i['line']}: {i['severity']}: {i['message']}" for i in report.issues]
        for line in problem_lines(issues):  # the first 20 and a count (a broken folder has 100,000)
            self.stderr.write(line)
        if self.options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        if report.aborted:
            return
        totals = " ".join(
            f"{name}={sum(v for k, v in c.items() if k != 'deleted' and k != 'deactivated')}"
            for name, c in report.counts.items()
        )
        self.stdout.write(
            f"{report.taxonomy} version={report.version} referential={report.referential_id} {totals} "
            f"skipped={len(report.errors)} seconds={report.duration_seconds:.1f} fit_seconds={report.fit_seconds:.1f}"
        )

    def _run_import(self, label: str, run) -> None:
        with self.progress(desc=label) as bar:
            try:
                report = run(bar)
            except importers.ImportAborted as exc:
                self._print_report(exc.report)
                raise BadInput(
                    f"{len(exc.report.errors)} invalid row(s), nothing imported; fix them or use --skip-invalid"
                ) from exc
        self._print_report(report)

    def verb_import_rome(self, options):
        def run(bar):
            return importers.import_rome(
                options["directory"],
                skip_invalid=options["skip_invalid"],
                fit=not options["no_fit"],
                progress=bar.update,
                on_read=lambda ref: setattr(bar, "total", importers.rome_row_count(ref)),
            )

        self._run_import("ROME", run)

    def verb_import_esco(self, options):
        def run(bar):
            return importers.import_esco(
                options["file"],
                language=options["lang"],
                mapping=options["mapping"],
                skip_invalid=options["skip_invalid"],
                fit=not options["no_fit"],
                progress=bar.update,
            )

        self._run_import("ESCO", run)

    # ------------------------------------------------------------------ normalise

    def _read_input(self, path: str) -> list[str]:
        try:
            with open(path, encoding="utf-8") as handle:
                lines = [line.strip() for line in handle]
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"{path}: cannot read input: {exc}") from exc
        titles = [line for line in lines if line]
        if not titles:
            raise BadInput(f"{path}: empty input (no job title)")
        return titles

    def _normaliser_from_dir(self, directory: str, fast: bool = False):
        ref = read_rome(directory)
        if not ref.occupations:
            raise BadInput(f"{directory}: no valid occupation")
        labels, codes = ref.label_pairs()
        code_labels = {code: occ.label for code, occ in ref.occupations.items()}
        model = JobTitleNormaliser() if fast else semantic_normaliser()
        normaliser = model.fit(labels, codes, code_labels=code_labels, code_texts=ref.code_texts())
        return normaliser, f"{Path(directory).name} (v{ref.version})"

    def _normaliser_from_db(self, taxonomy: str, language: str):
        lang = language if taxonomy == Taxonomy.ESCO else "fr"
        try:
            try:
                normaliser, artefact = get_normaliser(taxonomy, language=lang)
                return normaliser, f"artefact {artefact.pk} ({artefact.referential})"
            except NoReferential:
                normaliser, _ = fit_from_db(taxonomy, language=lang)
                return normaliser, "database (no stored artefact: fitted now)"
        except NoReferential as exc:
            raise BadInput(
                f"no {taxonomy} referential loaded: run `parcours labour import-{taxonomy}` or give --rome-dir"
            ) from exc
        except DatabaseError as exc:
            raise BadInput(
                f"database unavailable or not migrated ({exc.__class__.__name__}); give --rome-dir DIR to work without it"
            ) from exc

    def _query_all(self, options, normaliser, titles: list[str]) -> list:
        """Every title's matches; a batch file goes by blocks, with a progress bar and every core
        on the sparse product."""
        semantic = not options["fast"]
        if not options["input"]:
            return normaliser.query_batch(titles, top=options["top"], semantic=semantic)
        threads = os.cpu_count() or 1
        results: list = []
        with self.progress(desc="normalise", total=len(titles), unit="titles") as bar:
            for start in range(0, len(titles), BATCH_BLOCK):
                block = titles[start : start + BATCH_BLOCK]
                results += normaliser.query_batch(
                    block, top=options["top"], n_threads=threads, semantic=semantic
                )
                bar.update(len(block))
        return results

    def verb_normalise(self, options):
        if options["top"] < 1:
            raise BadInput(f"--top must be >= 1, got {options['top']}")
        if options["input"] and options["texts"]:
            raise BadInput("give job titles as arguments or with --input, not both")
        if options["rome_dir"] and options["taxonomy"] != Taxonomy.ROME:
            raise BadInput("--rome-dir only works with --taxonomy rome")
        if options["input"]:
            titles = self._read_input(options["input"])
        else:
            titles = [t.strip() for t in options["texts"]]
            if not any(titles):
                raise BadInput("no job title given (TEXT arguments or --input FILE)")
        if options["rome_dir"]:
            normaliser, source = self._normaliser_from_dir(options["rome_dir"], options["fast"])
        else:
            normaliser, source = self._normaliser_from_db(options["taxonomy"], options["lang"])
        results = self._query_all(options, normaliser, titles)

        if options["input"]:
            lines = (
                json.dumps(_result(q, m), ensure_ascii=False) + "\n"
                for q, m in zip(titles, results, strict=True)
            )
            if options["output"]:
                try:
                    with open(options["output"], "w", encoding="utf-8") as handle:
                        handle.writelines(lines)
                except OSError as exc:
                    raise BadInput(f"{options['output']}: cannot write: {exc}") from exc
            else:
                for line in lines:
                    self.stdout.write(line, ending="")
            return
        if options["json"]:
            document = {
                "taxonomy": options["taxonomy"],
                "source": source,
                "top": options["top"],
                "queries": [_result(q, m) for q, m in zip(titles, results, strict=True)],
            }
            self.stdout.write(json.dumps(document, ensure_ascii=False))
            return
        for query, matches in zip(titles, results, strict=True):
            self.stdout.write(query)
            if not matches:
                self.stdout.write("  (aucun résultat)")
            for rank, match in enumerate(matches, 1):
                self.stdout.write(f"  {rank}. {match.code}  {match.label}  {match.score:.3f}")
