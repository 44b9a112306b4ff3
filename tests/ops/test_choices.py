"""The labels of coded fields (parcours/ops/choices.py): the same answers as Django's own
`_get_FIELD_display`, from a table built once per field."""

from functools import partialmethod

import pytest
from django.apps import apps
from django.utils import translation

from parcours.cases.models import Appointment, SupportEpisode
from parcours.ops import choices


def _coded_fields():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if getattr(field, "choices", None) is not None and getattr(field, "attname", None):
                yield model, field


CODED = list(_coded_fields())


def test_the_project_has_coded_fields_to_check():
    assert len(CODED) > 40
    assert {SupportEpisode, Appointment} <= {model for model, _ in CODED}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_coded_field_answers_as_django_does(language):
    """Every code of every coded field, an unknown code and an empty value, in both languages."""
    compared = 0
    with translation.override(language):
        for model, field in CODED:
            values = [value for value, _ in field.flatchoices] + ["no-such-code", None, ""]
            for value in values:
                instance = model()
                setattr(instance, field.attname, value)
                expected = choices._DJANGO_GET_FIELD_DISPLAY(instance, field)
                assert choices.get_field_display(instance, field) == expected, (model, field.name, value)
                assert type(choices.get_field_display(instance, field)) is type(expected)
                compared += 1
    assert compared > 300


def test_every_generated_display_method_uses_the_table():
    rebound = 0
    for model, field in CODED:
        method = model.__dict__.get(f"get_{field.name}_display")
        if isinstance(method, partialmethod):
            assert method.func is choices.get_field_display, (model, field.name)
            rebound += 1
    assert rebound > 40


def test_a_model_s_own_display_method_is_kept():
    """The catalogue writes its own get_<field>_display for its multiple-choice fields."""
    from parcours.catalogue.models import Service

    assert not isinstance(Service.__dict__["get_thematiques_display"], partialmethod)


def test_the_label_follows_the_active_language():
    episode = SupportEpisode(stage=SupportEpisode._meta.get_field("stage").choices[0][0])
    with translation.override("fr"):
        french = episode.get_stage_display()
    with translation.override("en"):
        english = episode.get_stage_display()
    assert french != english


def test_a_field_whose_choices_are_replaced_gets_a_new_table():
    field = SupportEpisode._meta.get_field("stage")
    original = field.choices
    episode = SupportEpisode(stage=original[0][0])
    before = episode.get_stage_display()
    try:
        field.choices = [(original[0][0], "Autre libellé")]
        assert episode.get_stage_display() == "Autre libellé"
    finally:
        field.choices = original
    assert episode.get_stage_display() == before


def test_an_unhashable_value_takes_django_s_path():
    field = SupportEpisode._meta.get_field("stage")
    episode = SupportEpisode()
    episode.stage = ["not", "a", "code"]
    assert choices.get_field_display(episode, field) == choices._DJANGO_GET_FIELD_DISPLAY(episode, field)
