"""Labels of coded fields (`get_<field>_display`) read from a table built once per field.

Django's `Model._get_FIELD_display` rebuilds a dictionary of every choice of the field at each call,
hashing each lazily translated label on the way: one translation lookup per choice, for every cell
of every table. A list of 25 episodes with three coded columns made 375 lookups; that was 5 ms of
the portfolio page. Here the table `{code: lazy label}` is built once per field (the labels stay
lazy, so the active language still decides at display time) and each call translates one label.

The answer is the same as Django's for every value, known or not (tests/ops/test_choices.py checks
it on every coded field of every model, in French and in English). A value that cannot be a key
(a list in a JSON field) takes Django's path.
"""

from functools import partialmethod

from django.db import models
from django.utils.encoding import force_str

_DJANGO_GET_FIELD_DISPLAY = models.Model._get_FIELD_display


def _labels(field) -> dict:
    """The field's `{code: label}`, rebuilt only if its choices object was replaced."""
    cached = field.__dict__.get("_parcours_choice_labels")
    if cached is None or cached[0] is not field.choices:
        cached = (field.choices, dict(field.flatchoices))
        field.__dict__["_parcours_choice_labels"] = cached
    return cached[1]


def get_field_display(self, field):
    value = getattr(self, field.attname)
    try:
        label = _labels(field).get(value, value)
    except TypeError:  # an unhashable value or code
        return _DJANGO_GET_FIELD_DISPLAY(self, field)
    return force_str(label, strings_only=True)


def install() -> None:
    """Called once by OpsConfig.ready(), when every model is loaded.

    Django binds each `get_<field>_display` to the `_get_FIELD_display` of its time (a
    partialmethod made when the class is built), so the models already built are rebound here, and
    `Model._get_FIELD_display` is replaced for those built later. A `get_<field>_display` a model
    writes itself is left alone."""
    from django.apps import apps

    models.Model._get_FIELD_display = get_field_display
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if getattr(field, "choices", None) is None or not getattr(field, "attname", None):
                continue
            name = f"get_{field.name}_display"
            bound = model.__dict__.get(name)
            if isinstance(bound, partialmethod) and bound.func is _DJANGO_GET_FIELD_DISPLAY:
                setattr(model, name, partialmethod(get_field_display, field=bound.keywords["field"]))
