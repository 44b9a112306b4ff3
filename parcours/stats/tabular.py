"""The one reader of CSV and JSON input files: every check an import or a science CLI needs
before it trusts a file, each failure a :class:`~parcours.stats.errors.BadInputError` whose
one-line message says what and where (``file:line``).

Django-free (the science CLIs use it too). Checks:

- the file exists and is a file; binary data (a NUL byte) is refused;
- UTF-8 (a byte-order mark is allowed): a latin-1 byte names its line and column;
- CSV: a header, the delimiter (``,``, ``;``, tab or ``|``, from the header line), no duplicated
  column, the required columns, **every row as wide as the header** (a wrong delimiter in the
  rows, a truncated last line, a stray quote), no field above :data:`csv.field_size_limit`, an
  unterminated quoted field at the end (truncated file), at least one data row;
- JSON: well-formed (line and column of the first error), the expected top-level shape.

Files are read whole (they are decoded before anything is parsed, so that a bad byte at the
end refuses the file before any row is used).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from parcours.stats.errors import BadInputError

DELIMITERS = (",", ";", "\t", "|")
MAX_SHOWN = 20  # row problems printed by a command; the others are counted


class InvalidRows(BadInputError):
    """Some records are invalid and nothing was imported. ``problems`` lists them
    (``file:line: message``); the command prints the first :data:`MAX_SHOWN` and a count."""

    def __init__(self, message: str, problems: list[str], report: object = None):
        super().__init__(message)
        self.problems = problems
        self.report = report


@dataclass
class CsvTable:
    name: str
    header: list[str]
    delimiter: str
    rows: list[tuple[int, dict[str, str]]]  # (physical line where the row starts, {column: value})


def read_text(path: str | Path) -> str:
    """The file's text, refusing a missing file, binary data and anything but UTF-8."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise BadInputError(f"{name}: no such file")
    if path.is_dir():
        raise BadInputError(f"{name}: is a directory, not a file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"{name}: cannot read: {exc.strerror}") from exc
    return decode(raw, name)


def decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise BadInputError(f"{name}:{line}: binary data (NUL byte): not a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise BadInputError(
            f"{name}:{line}: not UTF-8 (byte 0x{byte} at column {column}); save the file as UTF-8"
        ) from None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a header line: the most frequent of , ; tab and | (comma when none)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def iter_csv(
    text: str, name: str, *, required: Iterable[str] = (), delimiter: str | None = None
) -> tuple[list[str], str, Iterator[tuple[int, list[str]]]]:
    """Check the header of a CSV text and return (header, delimiter, rows); iterating the rows
    checks each one (width, field size, truncation) and yields (start line, fields)."""
    if not text.strip():
        raise BadInputError(f"{name}: empty file (no header)")
    first_line = text.split("\n", 1)[0]
    delimiter = delimiter or sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise BadInputError(f"{name}:1: unreadable header: {_csv_reason(exc)}") from None
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise BadInputError(f"{name}:1: duplicated column(s) {', '.join(duplicated)}")
    missing = [c for c in required if c not in header]
    if missing:
        other = [d for d in DELIMITERS if d != delimiter and d in first_line]
        hint = f" (is the delimiter {other[0]!r}?)" if len(header) == 1 and other else ""
        raise BadInputError(f"{name}:1: missing column(s) {', '.join(missing)}{hint}")
    width = len(header)
    last_line = text.rstrip("\r\n").count("\n") + 1

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num + 1
        seen = 0
        try:
            for row in reader:
                start, line = line, reader.line_num + 1
                if not row or row == [""]:
                    continue
                if len(row) != width:
                    others = [d for d in DELIMITERS if d != delimiter and d in delimiter.join(row)]
                    if len(row) < width and others:
                        what = f"wrong delimiter ({others[0]!r} in the row)"
                    elif reader.line_num >= last_line and len(row) < width:
                        what = "truncated last line"
                    else:
                        what = "wrong number of fields"
                    raise BadInputError(
                        f"{name}:{start}: {what}: {len(row)} field(s) where the header has {width}"
                        f" (delimiter {delimiter!r})"
                    )
                seen += 1
                yield start, row
        except csv.Error as exc:
            raise BadInputError(f"{name}:{line}: {_csv_reason(exc)}") from None
        if not seen:
            raise BadInputError(f"{name}: header only, no data row")

    return header, delimiter, rows()


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters".replace(",", " ")
    if "unexpected end of data" in text or "EOF" in text:
        return "truncated file: a quoted field is never closed"
    return f"malformed CSV ({text})"


def _source_text(source: str | Path | io.TextIOBase, name: str | None) -> tuple[str, str]:
    """(name for messages, text) of a path or of an open text stream."""
    if hasattr(source, "read"):
        return name or getattr(source, "name", "<input>"), source.read()
    return name or str(source), read_text(source)


def read_csv(
    source: str | Path | io.TextIOBase, *, required: Iterable[str] = (), name: str | None = None
) -> CsvTable:
    """Read and check a whole CSV file (a path, or an open text stream named ``name``)."""
    label, text = _source_text(source, name)
    header, delimiter, rows = iter_csv(text, label, required=required)
    return CsvTable(
        label, header, delimiter, [(line, dict(zip(header, row, strict=True))) for line, row in rows]
    )


def check_csv(path: str | Path, *, delimiter: str | None = None) -> tuple[list[str], str, int]:
    """Check a CSV file without keeping its rows: (header, delimiter, number of data rows)."""
    header, delimiter, rows = iter_csv(read_text(path), str(path), delimiter=delimiter)
    return header, delimiter, sum(1 for _ in rows)


def read_json(source: str | Path | io.TextIOBase, *, name: str | None = None) -> object:
    """Parse a JSON file (a path, or an open text stream), refusing binary and non-UTF-8 data."""
    label, text = _source_text(source, name)
    if not text.strip():
        raise BadInputError(f"{label}: empty file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{label}:{exc.lineno}: invalid JSON at column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise BadInputError(f"{label}: JSON nested too deeply") from None


def problem_lines(problems: list[str], limit: int = MAX_SHOWN) -> list[str]:
    """The first ``limit`` problems and, when there are more, one line counting the others."""
    lines = problems[:limit]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more invalid row(s) not shown")
    return lines
