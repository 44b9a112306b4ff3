from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.diagnosis.models import SENSITIVE_BARRIERS, BarrierKind
from parcours.outcomes.models import FIXED_TERM, ContractType, EmploymentOutcome

DATE = forms.DateInput(attrs={"type": "date"})


class OutcomeForm(forms.ModelForm):
    # typed with spaces (732 829 320 00074): the spaces are removed before the check digit is checked
    siret = forms.CharField(
        label=_("SIRET de l'établissement"),
        max_length=20,
        required=False,
        help_text=_("14 chiffres, la clé de contrôle est vérifiée."),
    )

    class Meta:
        model = EmploymentOutcome
        fields = [
            "kind",
            "contract_type",
            "contract_months",
            "weekly_hours",
            "start_on",
            "end_on",
            "job_title",
            "employer_name",
            "siret",
            "employer_email",
            "wage_band",
            "source",
            "reported_on",
        ]
        widgets = {"start_on": DATE, "end_on": DATE, "reported_on": DATE}
        help_texts = {
            "job_title": _("Le métier ROME est retrouvé à partir de l'intitulé."),
            "contract_months": _("Obligatoire pour un CDD, l'intérim, l'alternance ou un contrat aidé."),
            "employer_email": _(
                "Utilisé seulement si la personne accepte que l'employeur soit contacté pour le suivi."
            ),
        }

    def clean_siret(self):
        return "".join(self.cleaned_data["siret"].split())  # typed with spaces: 732 829 320 00074

    def clean(self):
        data = super().clean()
        if data.get("contract_type") in FIXED_TERM and not data.get("contract_months"):
            self.add_error(
                "contract_months",
                _(
                    "Indiquez la durée prévue : obligatoire pour un CDD, l'intérim, l'alternance ou un contrat aidé."
                ),
            )
        return data


class CurrentJobForm(OutcomeForm):
    """The job of a person employed at intake (kind "emploi occupé à l'entrée"): the fields of the
    outcome form that describe the job itself. Recorded by intake through record_outcome. Only
    asked when the situation says employed: no `required` attribute in the page."""

    use_required_attribute = False

    class Meta(OutcomeForm.Meta):
        fields = [
            "job_title",
            "contract_type",
            "contract_months",
            "weekly_hours",
            "start_on",
            "employer_name",
            "siret",
            "employer_email",
            "wage_band",
        ]
        labels = {"start_on": _("en poste depuis le")}

    def job_fields(self) -> dict:
        return dict(self.cleaned_data)


def difficulty_choices(can_see_sensitive: bool) -> list[tuple[str, str]]:
    return [(k, v) for k, v in BarrierKind.choices if can_see_sensitive or k not in SENSITIVE_BARRIERS]


YES_NO = [("yes", _("Oui")), ("no", _("Non"))]


class AnswerForm(forms.Form):
    """The short questionnaire: still in a job? same employer? hours? difficulties?"""

    still_employed = forms.TypedChoiceField(
        label=_("Toujours en emploi ?"), choices=YES_NO, coerce=lambda v: v == "yes", widget=forms.RadioSelect
    )
    same_employer = forms.TypedChoiceField(
        label=_("Chez le même employeur ?"),
        choices=[("", _("Sans objet")), *YES_NO],
        coerce=lambda v: v == "yes",
        empty_value=None,
        required=False,
    )
    weekly_hours = forms.DecimalField(
        label=_("Heures par semaine"), min_value=0, max_value=80, decimal_places=1, required=False
    )
    difficulties = forms.MultipleChoiceField(
        label=_("Difficultés rencontrées"), required=False, widget=forms.CheckboxSelectMultiple
    )
    contract_type = forms.ChoiceField(
        label=_("Nouveau contrat chez le même employeur ?"),
        choices=[("", _("Pas de changement")), *ContractType.choices],
        required=False,
    )
    contract_months = forms.IntegerField(
        label=_("Durée prévue du nouveau contrat (mois)"), min_value=1, max_value=120, required=False
    )
    changed_on = forms.DateField(
        label=_("Depuis quand ? (nouveau contrat ou nouveaux horaires)"),
        help_text=_("Laissé vide : la date du point de suivi."),
        required=False,
        widget=DATE,
    )

    def __init__(self, *args, can_see_sensitive: bool = True, employer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if employer:
            del self.fields["difficulties"]
            del self.fields["same_employer"]
            self.fields["still_employed"].label = _(
                "La personne travaille-t-elle toujours dans votre établissement ?"
            )
        else:
            self.fields["difficulties"].choices = difficulty_choices(can_see_sensitive)

    def clean(self):
        data = super().clean()
        contract = data.get("contract_type")
        if contract and contract in FIXED_TERM and not data.get("contract_months"):
            self.add_error("contract_months", _("Indiquez la durée prévue du nouveau contrat."))
        changed_on = data.get("changed_on")
        if changed_on and changed_on > timezone.localdate():
            self.add_error("changed_on", _("La date du changement ne peut pas être dans le futur."))
        if contract and not data.get("still_employed"):
            self.add_error("contract_type", _("Un nouveau contrat suppose d'être toujours en emploi."))
        if contract and "same_employer" in self.fields and data.get("same_employer") is not True:
            self.add_error(
                "contract_type",
                _(
                    "Un nouveau contrat se note ici chez le même employeur ; un autre emploi s'enregistre à part."
                ),
            )
        return data


class LinkForm(forms.Form):
    respondent = forms.ChoiceField(
        label=_("Lien pour"), choices=[("person", _("La personne")), ("employer", _("L'employeur"))]
    )
