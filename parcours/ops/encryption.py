"""Encryption at rest of the sensitive free text and answers (Fernet from the ``cryptography``
library: AES-128-CBC with HMAC-SHA256, a timestamp and a random IV per value).

- ``settings.FIELD_ENCRYPTION_KEYS``: Fernet keys, the first encrypts, every one decrypts
  (``MultiFernet``), so a new key is put first, ``parcours privacy rotate-key`` re-encrypts every
  row with it, and the old key is then removed.
- Stored form: ``fernet:`` followed by the token. A value without the prefix is a row written
  before encryption was switched on: it is read as it is, and the data migrations
  (``encrypt_existing_rows``) or the next rotation encrypt it.
- The database sees only tokens: no lookup, ordering or search on these columns (none is made).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes each)"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return PREFIX + fernet().encrypt(text.encode()).decode()


def decrypt(stored: str) -> str:
    """The plain text of a stored value (a value without the prefix was written before encryption)."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "an encrypted value cannot be decrypted with FIELD_ENCRYPTION_KEYS (a key was removed "
            "before `parcours privacy rotate-key` re-encrypted every row?)"
        ) from exc


def is_encrypted(stored: str | None) -> bool:
    return stored is None or stored == "" or stored.startswith(PREFIX)


class EncryptedTextField(models.TextField):
    """A TextField stored encrypted. The empty string stays empty (a blank note reveals nothing and
    keeps `blank=True` forms simple)."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


class EncryptedJSONField(models.TextField):
    """A JSON document (dict or list) stored encrypted in a text column."""

    def __init__(self, *args, encoder=None, **kwargs):
        self.encoder = encoder
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.encoder is not None:
            kwargs["encoder"] = self.encoder
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        if isinstance(value, (dict, list)):  # a JSON column not yet altered (during its migration)
            return value
        return json.loads(decrypt(value))

    def to_python(self, value: Any):
        if isinstance(value, str):
            return json.loads(decrypt(value))
        return value

    def get_prep_value(self, value):
        if value is None:
            return value
        return encrypt(json.dumps(value, cls=self.encoder, ensure_ascii=False))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), cls=self.encoder, ensure_ascii=False)

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"form_class": forms.JSONField, "encoder": self.encoder, **kwargs})


def encrypted_fields() -> dict[type[models.Model], list[str]]:
    """Every model with encrypted fields, and their names."""
    from django.apps import apps

    found: dict[type[models.Model], list[str]] = {}
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (EncryptedTextField, EncryptedJSONField))
        ]
        if names:
            found[model] = names
    return found


def reencrypt(model: type[models.Model], fields: list[str], *, batch_size: int = 1000) -> int:
    """Rewrite every row's `fields` with the current first key (also encrypts rows written before
    encryption). Returns the number of rows rewritten. Works on historical models in migrations."""
    rows = 0
    last_pk = None
    manager = model._base_manager
    while True:
        queryset = manager.order_by("pk").only("pk", *fields)
        if last_pk is not None:
            queryset = queryset.filter(pk__gt=last_pk)
        batch = list(queryset[:batch_size])
        if not batch:
            return rows
        manager.bulk_update(batch, fields)
        rows += len(batch)
        last_pk = batch[-1].pk


def encrypt_existing_rows(app_label: str, model_name: str, fields: list[str]):
    """A RunPython operation body for the data migration that switches fields to encryption."""

    def forwards(apps, schema_editor):
        reencrypt(apps.get_model(app_label, model_name), fields)

    return forwards
