from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.obligations.models import Ladder, Obligation

DATE = forms.DateInput(attrs={"type": "date"})


class ObligationForm(forms.ModelForm):
    class Meta:
        model = Obligation
        fields = [
            "activity_hours_per_week",
            "job_search_actions_per_month",
            "attend_appointments",
            "other",
            "agreed_on",
        ]
        widgets = {"agreed_on": DATE}


class BreachForm(forms.Form):
    breach = forms.CharField(label=_("Manquement constaté"), widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.CharField(label=_("Éléments de preuve"), widget=forms.Textarea(attrs={"rows": 2}))
    period_start = forms.DateField(label=_("Début de la période examinée"), widget=DATE)


class StepForm(forms.Form):
    """The fields a step may need; each verb reads its own."""

    override_reason = forms.CharField(label=_("Motif du passage outre (responsable)"), required=False)
    observations = forms.CharField(
        label=_("Observations de la personne"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    decision = forms.ChoiceField(label=_("Décision"), choices=[("", "—")], required=False)
    reasons = forms.CharField(label=_("Motifs"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, ladder: Ladder, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [("", "—"), *ladder.choices()]


class PersonObservationsForm(forms.Form):
    observations = forms.CharField(
        label=_("Mes observations"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class PersonAppealForm(forms.Form):
    reasons = forms.CharField(
        label=_("Pourquoi je conteste la décision"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
