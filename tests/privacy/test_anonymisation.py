"""Anonymisation removes identity and free text and keeps indicators and experiments valid; every
text field of a person-linked model is classified; the export verb reuses the portal's builder."""

import io
import json

import pandas as pd
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.utils import timezone

from parcours.cases.models import AccessLog, Contact
from parcours.evaluation.indicators import compute_frame, ensure_registry, year_range
from parcours.evaluation.models import Experiment, IndicatorVersion
from parcours.evaluation.queries import experiment_frame
from parcours.people.models import Person
from parcours.privacy import actions
from parcours.privacy.anonymisation import KEPT, SCRUBBED

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.FileField)


def _person_linked_models() -> dict[type[models.Model], str]:
    """Every model of parcours with a foreign-key path to Person (breadth first)."""
    paths: dict[type[models.Model], str] = {Person: ""}
    grew = True
    while grew:
        grew = False
        for model in apps.get_app_config("people").apps.get_models():
            if model in paths or not model.__module__.startswith("parcours."):
                continue
            for field in model._meta.concrete_fields:
                target = field.related_model if field.is_relation else None
                if target in paths and target._meta.app_label not in {"accounts", "organisations"}:
                    paths[model] = field.name if paths[target] == "" else f"{field.name}__{paths[target]}"
                    grew = True
                    break
    return paths


def test_every_text_field_of_a_person_linked_model_is_scrubbed_or_kept_for_a_reason():
    scrubbed = {f"{m._meta.label}.{f}" for m, _path, fields in SCRUBBED for f in fields}
    unclassified = []
    for model in _person_linked_models():
        if model._meta.app_label == "privacy":
            continue  # the rights requests themselves: kept as proof of the answer (art. 5(2))
        for field in model._meta.concrete_fields:
            if isinstance(field, TEXT_FIELDS) and not field.choices:
                name = f"{model._meta.label}.{field.name}"
                if name not in scrubbed and name not in KEPT:
                    unclassified.append(name)
    assert unclassified == []
    assert not scrubbed & set(KEPT)


def _indicators() -> dict[str, pd.DataFrame]:
    today = timezone.localdate()
    start, end = year_range(None, today)
    return {
        str(v): compute_frame(v, start, end, today)
        .sort_values(list(compute_frame(v, start, end, today).columns)[:4])
        .reset_index(drop=True)
        for v in IndicatorVersion.objects.select_related("indicator").order_by("pk")
    }


@pytest.mark.django_db(transaction=True)
def test_indicators_and_experiments_are_the_same_before_and_after_anonymisation():
    call_command("demo", people=40, seed=5, verbosity=0)
    ensure_registry()
    closed = list(
        Person.objects.exclude(episodes__ended_on__isnull=True).filter(episodes__isnull=False).distinct()
    )
    assert len(closed) >= 5
    indicators_before = _indicators()
    assert sum(len(frame) for frame in indicators_before.values()) > 0
    experiments = list(Experiment.objects.order_by("pk"))
    frames_before = [experiment_frame(e) for e in experiments]
    summaries = set(Contact.objects.filter(episode__person__in=closed).values_list("summary", flat=True))
    assert summaries - {""}, "the demo writes contact summaries"

    for person in closed:
        actions.anonymise_person(person)

    indicators_after = _indicators()
    assert indicators_after.keys() == indicators_before.keys()
    for key, frame in indicators_before.items():
        pd.testing.assert_frame_equal(indicators_after[key], frame, obj=key)
    # experiments: every column but the exact age (the birth date became 1 July of its year)
    for experiment, before in zip(experiments, frames_before, strict=True):
        after = experiment_frame(experiment)
        kept = [c for c in before.columns if c not in {"age", "age_band"}]
        pd.testing.assert_frame_equal(after[kept], before[kept])
        assert (after["age"] - before["age"]).abs().max() <= 1
    assert set(Contact.objects.filter(episode__person__in=closed).values_list("summary", flat=True)) == {""}
    assert set(Person.objects.filter(pk__in=[p.pk for p in closed]).values_list("first_name", "email")) == {
        ("Personne", "")
    }


def test_export_writes_json_and_pdf_and_logs_the_read(person, counselor, tmp_path):
    out = io.StringIO()
    call_command(
        "privacy",
        "export",
        str(person.public_id),
        "--by",
        counselor.username,
        "--output-dir",
        str(tmp_path),
        "--json",
        stdout=out,
    )

    result = json.loads(out.getvalue())
    data = json.loads((tmp_path / f"{person.public_id}.json").read_text())
    assert data["identity"]["last_name"] == person.last_name
    assert result["pdf"] == str(tmp_path / f"{person.public_id}.pdf")
    assert (tmp_path / f"{person.public_id}.pdf").read_bytes()[:5] == b"%PDF-"
    assert list(AccessLog.objects.filter(person=person).values_list("user", "route")) == [
        (counselor.pk, "privacy export")
    ]


def test_export_refuses_an_unknown_person_or_user(person, tmp_path):
    with pytest.raises(CommandError, match="no person with public id") as error:
        call_command(
            "privacy",
            "export",
            "00000000-0000-0000-0000-000000000000",
            "--by",
            "x",
            "--output-dir",
            str(tmp_path),
        )
    assert error.value.returncode == 2
    with pytest.raises(CommandError, match="no active user"):
        call_command(
            "privacy", "export", str(person.public_id), "--by", "nobody", "--output-dir", str(tmp_path)
        )
    assert AccessLog.objects.count() == 0
