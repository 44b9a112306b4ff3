"""The commune input shared by every form (person record, public catalogue, labour market)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.organisations import communes
from parcours.organisations.models import Territory

COMMUNE_OPTIONS = "commune-options"  # the id of the commune input's <datalist>


class CommuneField(forms.CharField):
    """A commune typed as its name ("Lille", "saint etienne"), a postcode (59000), an INSEE code
    (59350) or a suggestion ("Lille (59350)"), read by :func:`parcours.organisations.communes.resolve`.
    A select of every French commune (35,000) would not scale: the input suggests as one types (htmx
    fills its <datalist>), and a name or code shared by several communes is refused with the
    candidates to choose from (``candidates``, shown in the datalist)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "help_text", _("Nom de la commune, code postal ou code INSEE, par exemple Lille, 59000 ou 59350.")
        )
        super().__init__(**kwargs)
        self.widget.attrs.update({"list": COMMUNE_OPTIONS, "autocomplete": "off"})
        self.candidates: list[Territory] = []

    def suggest_from(self, url: str) -> None:
        """Typing asks ``url`` for suggestions (htmx, header HX-Trigger-Name: commune); the view
        answers with organisations/_commune_options.html filled by communes.suggest()."""
        self.widget.attrs.update(
            {
                "hx-get": url,
                "hx-trigger": "input changed delay:300ms",
                "hx-target": f"#{COMMUNE_OPTIONS}",
                "hx-swap": "innerHTML",
                "hx-push-url": "false",  # a suggestion is not a page of its own
            }
        )

    def prepare_value(self, value):
        if isinstance(value, Territory):
            return communes.label(value)
        if isinstance(value, int):
            territory = communes.communes().filter(pk=value).first()
            return communes.label(territory) if territory else ""
        return value

    def clean(self, value):
        self.candidates = []
        text = super().clean(value) or ""
        try:
            return communes.resolve(text)
        except communes.CommuneError as exc:
            self.candidates = exc.candidates
            raise forms.ValidationError(exc.message()) from None
