"""What the PostgreSQL benchmarks share: their database is created when missing."""

from __future__ import annotations

import sys
from urllib.parse import urlparse


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` (postgres://...) if it does not exist yet."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}", file=sys.stderr)
