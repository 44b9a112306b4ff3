"""The audit tables (`CaseEvent`, `AccessLog`) are append-only: a row is written once, never changed,
never deleted.

Two guards, one per layer:
- the ORM: `save()` of an existing row, `delete()`, `QuerySet.update()`/`bulk_update()`/`delete()` (and so
  `update_or_create` on an existing row) raise `AppendOnlyError` on every database;
- PostgreSQL: `pgtrigger.Protect` triggers on UPDATE and DELETE (declared in each model's
  `Meta.triggers`, installed by the migrations), so raw SQL, another client or a cascade from a
  deleted person is refused by the database itself. SQLite has no such trigger: there the ORM guard
  is the only one, and the foreign keys that point to people, episodes and users are PROTECT so that
  no cascade deletes an audit row behind the ORM's back.

The one way around both is `rewriting_audit(reason)` below. It exists for the retention policy:
its one caller is `parcours.privacy.actions._delete_audit_rows`, which deletes the access logs past
their keeping period (`parcours privacy purge`); anonymisation changes no audit row (case events
hold codes only). Any new caller must be a named retention function.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator

import pgtrigger
from django.db import models

logger = logging.getLogger(__name__)

# The trigger names, as declared in Meta.triggers of the audit models.
TRIGGER_NAME = "append_only"
AUDIT_TRIGGERS = (f"cases.CaseEvent:{TRIGGER_NAME}", f"cases.AccessLog:{TRIGGER_NAME}")

_rewriting: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_rewrite_reason", default=None)


class AppendOnlyError(Exception):
    """An audit row was about to be changed or deleted outside `rewriting_audit`."""


def append_only_trigger() -> pgtrigger.Protect:
    return pgtrigger.Protect(name=TRIGGER_NAME, operation=pgtrigger.Update | pgtrigger.Delete)


def _check(model, verb: str) -> None:
    if _rewriting.get() is None:
        raise AppendOnlyError(f"{model._meta.label} is append-only: {verb} refused")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _check(self.model, "update")
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        _check(self.model, "update")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def delete(self):
        _check(self.model, "delete")
        return super().delete()


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            _check(type(self), "update")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _check(type(self), "delete")
        return super().delete(*args, **kwargs)


@contextlib.contextmanager
def rewriting_audit(reason: str) -> Iterator[None]:
    """The escape hatch for the retention policy only: inside this block the ORM guard lets updates
    and deletes of audit rows through and, on PostgreSQL, the append-only triggers are skipped for
    this connection (`pgtrigger.ignore`). The reason is logged (a code such as
    "retention:access_logs_3y", never personal data)."""
    if not reason:
        raise ValueError("rewriting_audit needs a reason")
    logger.warning("audit_rewrite reason=%s", reason)
    token = _rewriting.set(reason)
    try:
        with pgtrigger.ignore(*AUDIT_TRIGGERS):
            yield
    finally:
        _rewriting.reset(token)
