"""Search and matching forms (GET): invalid input is shown with its error and keeps what was typed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.market.importers import ROME_CODE
from parcours.market.matching import DEFAULT_RADIUS_KM
from parcours.market.models import ContractType
from parcours.organisations.forms import CommuneField


def clean_rome_code(value: str) -> str:
    value = (value or "").strip().upper()
    if value and not ROME_CODE.match(value):
        raise forms.ValidationError(_("Un code ROME est une lettre suivie de quatre chiffres (ex. J1501)."))
    return value


class PlaceMixin(forms.Form):
    commune = CommuneField(
        label=_("Commune (nom, code postal ou code INSEE)"), required=False, max_length=100
    )
    radius_km = forms.IntegerField(
        label=_("Rayon (km)"), required=False, min_value=1, max_value=200, initial=DEFAULT_RADIUS_KM
    )

    @property
    def radius(self) -> int:
        return (
            self.cleaned_data.get("radius_km") if self.is_bound and self.is_valid() else None
        ) or DEFAULT_RADIUS_KM


class OfferSearchForm(PlaceMixin):
    rome_code = forms.CharField(label=_("Code ROME"), required=False, max_length=5)
    contract_type = forms.ChoiceField(
        label=_("Type de contrat"), required=False, choices=[("", _("Tous")), *ContractType.choices]
    )
    q = forms.CharField(label=_("Mot de l'intitulé"), required=False, max_length=100)
    GIVEN, INFERRED, UNCERTAIN = "given", "inferred", "uncertain"
    occupation_origin = forms.ChoiceField(
        label=_("Métier de l'offre"),
        required=False,
        choices=[
            ("", _("Tous")),
            (GIVEN, _("Donné par la source")),
            (INFERRED, _("Déduit de l'intitulé")),
            (UNCERTAIN, _("Déduit, peu sûr (à vérifier)")),
        ],
    )

    def clean_rome_code(self) -> str:
        return clean_rome_code(self.cleaned_data.get("rome_code"))

    def clean(self):
        data = super().clean()
        if data.get("q") and not (data.get("rome_code") or data.get("commune")):
            # An unanchored LIKE over a million offers would scan them all.
            self.add_error("q", _("Précisez aussi un code ROME ou une commune pour chercher un mot."))
        return data


class MatchForm(forms.Form):
    rome_codes = forms.CharField(
        label=_("Codes ROME recherchés (séparés par des virgules)"), required=False, max_length=100,
        help_text=_("Vide : les métiers du projet professionnel."),
    )  # fmt: skip
    radius_km = forms.IntegerField(
        label=_("Rayon de mobilité (km)"),
        required=False,
        min_value=1,
        max_value=200,
        initial=DEFAULT_RADIUS_KM,
    )
    contract_types = forms.MultipleChoiceField(
        label=_("Contrats souhaités"),
        required=False,
        choices=ContractType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    full_time = forms.TypedChoiceField(
        label=_("Durée du travail"), required=False, empty_value=None,
        coerce=lambda v: {"1": True, "0": False}.get(v),
        choices=[("", _("Indifférent")), ("1", _("Temps plein")), ("0", _("Temps partiel"))],
    )  # fmt: skip
    expected_salary = forms.IntegerField(
        label=_("Salaire mensuel brut attendu (€)"), required=False, min_value=100, max_value=100_000
    )

    def clean_rome_codes(self) -> list[str]:
        raw = self.cleaned_data.get("rome_codes") or ""
        return [clean_rome_code(c) for c in raw.replace(";", ",").split(",") if c.strip()]

    def values(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "rome_codes": data.get("rome_codes") or [],
            "radius_km": data.get("radius_km") or DEFAULT_RADIUS_KM,
            "contract_types": set(data.get("contract_types") or []),
            "full_time": data.get("full_time"),
            "expected_salary": data.get("expected_salary"),
        }


class PersonOfferForm(MatchForm):
    """The person's own filters on their offers page (/moi/offres/): how far, which contracts,
    full or part time. No ROME codes to type (their career project gives the occupations) and no
    salary (the matcher does not rank on it)."""

    rome_codes = None
    expected_salary = None


class HiringSearchForm(PlaceMixin):
    rome_code = forms.CharField(label=_("Code ROME"), required=True, max_length=5)

    def clean_rome_code(self) -> str:
        return clean_rome_code(self.cleaned_data.get("rome_code"))
