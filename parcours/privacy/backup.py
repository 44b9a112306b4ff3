"""Backup and restore of the whole database with the database's own tools.

- SQLite: the online backup API (``sqlite3.Connection.backup``), page by page, consistent while the
  application keeps writing (WAL); the copy is a plain SQLite file. Restoring copies it back into
  the live database through the same API, in one step for readers.
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot); restoring pipes the script of
  ``pg_restore --clean --if-exists`` into ``psql --single-transaction`` (the restore either applies
  whole or not at all), after dropping the partitioned tables (``parcours.cases.partitions``):
  pg_restore's clean step would otherwise try to drop each partition's inherited primary key,
  which PostgreSQL refuses.

:func:`fingerprints` gives every table's row count and a checksum of its content, so that a restore
can be compared with what was backed up (``parcours backup create --json`` prints them).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.db import connections

from parcours.cli import BadInput


def _engine(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BadInput(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def _pg_command(tool: str, alias: str) -> tuple[list[str], dict[str, str]]:
    """The pg_dump/pg_restore command line and environment for the database `alias` (the password
    goes through PGPASSWORD, never the command line)."""
    executable = shutil.which(tool)
    if executable is None:
        raise BadInput(f"{tool} is not installed (PostgreSQL client tools are needed for a backup)")
    settings = connections[alias].settings_dict
    args = [executable, "--no-owner", "--no-privileges"]
    if settings.get("HOST"):
        args += ["--host", str(settings["HOST"])]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", str(settings["USER"])]
    env = {**os.environ}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        message = " ".join(result.stderr.split())[:500]
        raise RuntimeError(f"{Path(args[0]).name} failed (exit {result.returncode}): {message}")


def create_backup(path: Path, *, alias: str = "default") -> dict:
    """Write a backup of the database `alias` to `path` (refuses to overwrite a file)."""
    engine = _engine(alias)
    path = Path(path)
    if path.exists():
        raise BadInput(f"{path}: already exists (a backup never overwrites a file)")
    if not path.parent.is_dir():
        raise BadInput(f"{path.parent}: no such directory")
    connection = connections[alias]
    if engine == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:
        args, env = _pg_command("pg_dump", alias)
        _run([*args, "--format=custom", "--file", str(path), connection.settings_dict["NAME"]], env)
    return {"engine": engine, "path": str(path), "bytes": path.stat().st_size}


def restore_backup(path: Path, *, alias: str = "default") -> dict:
    """Replace the content of the database `alias` with the backup at `path`."""
    engine = _engine(alias)
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    connection = connections[alias]
    if engine == "sqlite":
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise BadInput(f"{path}: not an SQLite backup")
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        with path.open("rb") as handle:
            if handle.read(5) != b"PGDMP":
                raise BadInput(f"{path}: not a pg_dump custom-format backup")
        partitioned = _partitioned_tables(alias)
        connection.close()  # the restore drops and recreates the tables: hold no lock on them
        _restore_postgres(path, alias, partitioned)
    return {"engine": engine, "path": str(path)}


def _partitioned_tables(alias: str) -> list[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE pg_table_is_visible(c.oid) ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def _restore_postgres(path: Path, alias: str, partitioned: list[str]) -> None:
    """``pg_restore --clean --if-exists -f -`` piped into ``psql --single-transaction``, after a
    first statement that drops the partitioned tables with their partitions (same transaction)."""
    restore_args, env = _pg_command("pg_restore", alias)
    psql_args, _env = _pg_command("psql", alias)
    psql_args = [a for a in psql_args if a not in ("--no-owner", "--no-privileges")]
    database = connections[alias].settings_dict["NAME"]
    psql_args += ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--single-transaction"]
    psql_args += ["--dbname", database, "--file", "-"]
    prelude = ""
    if partitioned:
        names = ", ".join('"' + name.replace('"', '""') + '"' for name in partitioned)
        prelude = f"DROP TABLE IF EXISTS {names} CASCADE;\n"
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_output:
        psql = subprocess.Popen(  # noqa: S603
            psql_args, env=env, stdin=subprocess.PIPE, stdout=psql_output, stderr=psql_output
        )
        restore = subprocess.Popen(  # noqa: S603
            [*restore_args, "--clean", "--if-exists", "--file", "-", str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=restore_errors,
        )
        try:
            psql.stdin.write(prelude.encode())
            shutil.copyfileobj(restore.stdout, psql.stdin)
        except BrokenPipeError:  # psql stopped on an error: its own message says which
            restore.kill()
        finally:
            restore.stdout.close()
            restore.wait()
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
            psql.wait()
        for process, output, tool in ((psql, psql_output, "psql"), (restore, restore_errors, "pg_restore")):
            if process.returncode != 0:
                output.seek(0)
                message = " ".join(output.read().decode(errors="replace").split())[:500]
                raise RuntimeError(f"{tool} failed (exit {process.returncode}): {message}")


def _tables(alias: str) -> list[str]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def fingerprints(alias: str = "default") -> dict[str, dict]:
    """{table: {"rows": count, "sha256": checksum of every row, in a fixed order}} for every table
    of the database (Django's and the task queue's included)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    result = {}
    with connection.cursor() as cursor:
        for table in _tables(alias):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            order = ", ".join(str(i) for i in range(1, len(columns) + 1))
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")  # noqa: S608
            digest = hashlib.sha256()
            rows = 0
            while chunk := cursor.fetchmany(2000):
                for row in chunk:
                    digest.update(repr(tuple(row)).encode())
                rows += len(chunk)
            result[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return result
