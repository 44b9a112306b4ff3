from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.organisations.models import Organisation
from parcours.privacy.models import RightsRequest


class RightsRequestForm(forms.Form):
    """A request received from a person, who identifies themselves by name and birth date."""

    kind = forms.ChoiceField(label=_("Demande"), choices=RightsRequest.Kind.choices)
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation saisie"), queryset=Organisation.objects.none()
    )
    received_on = forms.DateField(
        label=_("Reçue le"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    details = forms.CharField(
        label=_("Précisions (ce qu'il faut corriger, effacer)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()

    def clean_received_on(self):
        value = self.cleaned_data["received_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("La date de réception ne peut pas être dans le futur."))
        return value


class DecisionForm(forms.Form):
    class Verb:
        FULFIL = "fulfil"
        REFUSE = "refuse"

    decision = forms.ChoiceField(
        label=_("Réponse"),
        choices=[(Verb.FULFIL, _("Satisfaire la demande")), (Verb.REFUSE, _("Refuser (motif obligatoire)"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Réponse motivée (communiquée à la personne)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.Verb.REFUSE and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Un refus doit être motivé."))
        return cleaned
