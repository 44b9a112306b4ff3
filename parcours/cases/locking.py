"""Optimistic edit locks, one way for every form and API write.

A versioned row has a ``version`` integer. A form or an API client reads it with the row and sends
it back; the action re-reads the row under a database lock (``lock_for_update``), refuses the
change if someone saved it in between (``ConcurrentEditError``: 409 in the API, the form shown
again with the current values), and saves with the version moved on (``save_with_version``).

Only changes a person makes knowingly move the version. Bookkeeping written as a side effect of
another record (the last-contact fields of an episode when a contact is recorded) is saved
without it, so that it never turns a colleague's concurrent edit into a false conflict.
"""

from __future__ import annotations

from django.db import models


class ConcurrentEditError(Exception):
    """The object changed since the form or API client read it."""


def check_version(obj: models.Model, expected: int | None) -> None:
    """Raise ConcurrentEditError when `expected` is given and differs from the row's version."""
    if expected is not None and obj.version != expected:
        raise ConcurrentEditError(f"{obj._meta.model_name} changed since it was read")


def lock_for_update(obj: models.Model, expected: int | None = None, *, queryset=None):
    """The row re-read under a row lock (inside the caller's transaction), its version checked."""
    queryset = type(obj).objects.all() if queryset is None else queryset
    current = queryset.select_for_update().get(pk=obj.pk)
    check_version(current, expected)
    return current


def save_with_version(obj: models.Model, fields: list[str] | tuple[str, ...]) -> None:
    """Save `fields` and move the version on (and ``updated_at`` when the model has one)."""
    obj.version += 1
    extra = ["version"]
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        extra.append("updated_at")
    obj.save(update_fields=[*dict.fromkeys([*fields, *extra])])
