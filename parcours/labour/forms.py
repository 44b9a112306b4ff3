"""Forms of the career project page and of the occupation search. Each change form carries the
hidden ``version`` of the row it edits (concurrent edits are refused, never overwritten)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.labour.models import CareerProject, Occupation, WorkPlacement


class OccupationSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Métier ou intitulé de poste"),
        required=False,
        max_length=200,
        help_text=_("Saisie libre : « aide soignante de nuit », « dev web »…"),
    )


class RomeCodeField(forms.CharField):
    """A ROME code (J1501) of an occupation in force; cleans to the Occupation."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 5)
        kwargs.setdefault("label", _("Code ROME"))
        super().__init__(**kwargs)

    def clean(self, value):
        value = (super().clean(value) or "").strip().upper()
        if not value:
            return None
        occupation = Occupation.objects.active().filter(rome_code=value).first()
        if occupation is None:
            raise forms.ValidationError(
                _("Aucun métier en vigueur n'a le code ROME %(code)s."), params={"code": value}
            )
        return occupation


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DeclaredSkillsForm(VersionedForm):
    skills = forms.CharField(
        label=_("Compétences de la personne (une par ligne)"),
        help_text=_("Formelles ou informelles : expérience, formation, bénévolat, vie personnelle, loisirs."),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=20000,
    )

    def clean_skills(self):
        return [line.strip() for line in self.cleaned_data["skills"].splitlines() if line.strip()]


class AddTargetForm(forms.Form):
    occupation = RomeCodeField()
    status = forms.ChoiceField(
        label=_("Statut"),
        choices=[
            (CareerProject.Status.TO_EXPLORE, CareerProject.Status.TO_EXPLORE.label),
            (CareerProject.Status.DISCOVERED, CareerProject.Status.DISCOVERED.label),
        ],
        initial=CareerProject.Status.TO_EXPLORE,
    )


class DecideTargetForm(VersionedForm):
    status = forms.ChoiceField(label=_("Décision"), choices=CareerProject.Status.choices)
    evidence = forms.CharField(
        label=_("Éléments à l'appui (enquête métier, immersion, échanges…)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    placements = forms.ModelMultipleChoiceField(
        label=_("Immersions à l'appui"),
        queryset=WorkPlacement.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, project: CareerProject, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["placements"].queryset = WorkPlacement.objects.filter(project=project).select_related(
            "occupation"
        )


class PlacementForm(forms.Form):
    objective = forms.ChoiceField(label=_("Objectif"), choices=WorkPlacement.Objective.choices)
    occupation = RomeCodeField(label=_("Code ROME du métier"))
    host_name = forms.CharField(label=_("Structure d'accueil"), max_length=200)
    host_establishment = forms.CharField(
        label=_("Établissement (adresse ou SIRET)"), max_length=300, required=False
    )
    starts_on = forms.DateField(label=_("Début"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Fin"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("La fin ne peut pas précéder le début."))
        return data


SCORES = [("", "—")] + [(str(i), str(i)) for i in range(1, 6)]


class AssessPlacementForm(VersionedForm):
    host_score = forms.TypedChoiceField(
        label=_("Appréciation de la structure (1 à 5)"),
        choices=SCORES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    host_comment = forms.CharField(
        label=_("Commentaire de la structure"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )
    person_score = forms.TypedChoiceField(
        label=_("Appréciation de la personne (1 à 5)"),
        choices=SCORES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    person_comment = forms.CharField(
        label=_("Commentaire de la personne"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )

    def clean(self):
        data = super().clean()
        if data.get("host_score") is None and data.get("person_score") is None and not self.errors:
            raise forms.ValidationError(
                _("Indiquez au moins l'appréciation de la structure ou celle de la personne.")
            )
        return data
