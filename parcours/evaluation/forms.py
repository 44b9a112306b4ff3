from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.evaluation.assignment import STRATA_FIELDS
from parcours.evaluation.models import Experiment
from parcours.evaluation.queries import OUTCOMES, SUBGROUPS


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Mon commentaire sur ces résultats"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_(
            "Visible par votre responsable d'équipe. N'y mettez aucune information sur une personne."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _csv_list(value: str) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


class ExperimentForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    title = forms.CharField(label=_("Titre"), max_length=200)
    question = forms.CharField(label=_("Question évaluée"), widget=forms.Textarea(attrs={"rows": 3}))
    design = forms.ChoiceField(label=_("Plan"), choices=Experiment.Design.choices)
    unit = forms.ChoiceField(label=_("Unité de tirage"), choices=Experiment.Unit.choices)
    strata_fields = forms.CharField(
        label=_("Variables de stratification"),
        required=False,
        help_text=_("Séparées par des virgules, parmi : %(fields)s")
        % {"fields": ", ".join(sorted(STRATA_FIELDS))},
    )
    shares = forms.CharField(
        label=_("Parts de traités (plan à deux niveaux)"),
        required=False,
        initial="0,0.25,0.5,0.75,1",
        help_text=_("Séparées par des virgules, entre 0 et 1, 0 compris."),
    )
    outcomes = forms.MultipleChoiceField(
        label=_("Résultats pré-enregistrés"),
        choices=[(c, c) for c in OUTCOMES],
        widget=forms.CheckboxSelectMultiple,
    )
    subgroups = forms.MultipleChoiceField(
        label=_("Sous-groupes pré-enregistrés"),
        choices=[(c, c) for c in SUBGROUPS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    statuses = forms.CharField(
        label=_("Éligibilité : situations"), required=False, help_text=_("Par exemple : job_seeker")
    )
    age_min = forms.IntegerField(
        label=_("Éligibilité : âge minimum"), required=False, min_value=15, max_value=99
    )
    age_max = forms.IntegerField(
        label=_("Éligibilité : âge maximum"), required=False, min_value=15, max_value=99
    )
    intensities = forms.CharField(
        label=_("Éligibilité : intensités"), required=False, help_text=_("Par exemple : guided,intensive")
    )
    territories = forms.CharField(label=_("Éligibilité : communes (codes INSEE)"), required=False)
    starts_on = forms.DateField(label=_("Début"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Fin"), widget=forms.DateInput(attrs={"type": "date"}))
    seed = forms.IntegerField(label=_("Graine du tirage"), min_value=0)
    control_name = forms.CharField(label=_("Groupe témoin : nom"), initial=_("Accompagnement habituel"))
    control_cost = forms.FloatField(
        label=_("Groupe témoin : coût par participant (€)"), min_value=0, initial=0
    )
    treatment_name = forms.CharField(label=_("Groupe traité : nom"))
    treatment_cost = forms.FloatField(
        label=_("Groupe traité : coût par participant (€)"), min_value=0, initial=0
    )
    treatment_weight = forms.IntegerField(
        label=_("Groupe traité : poids d'allocation"), min_value=1, initial=1
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean_shares(self):
        try:
            return [float(s) for s in _csv_list(self.cleaned_data["shares"])]
        except ValueError as exc:
            raise forms.ValidationError(_("Des nombres entre 0 et 1 séparés par des virgules.")) from exc

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("La fin précède le début."))
        return data

    def experiment_fields(self) -> dict:
        d = self.cleaned_data
        eligibility = {
            "statuses": _csv_list(d["statuses"]),
            "intensities": _csv_list(d["intensities"]),
            "territories": _csv_list(d["territories"]),
            "age_min": d["age_min"],
            "age_max": d["age_max"],
        }
        return {
            "title": d["title"],
            "question": d["question"],
            "design": d["design"],
            "unit": d["unit"],
            "strata_fields": _csv_list(d["strata_fields"]),
            "shares": d["shares"] if d["design"] == Experiment.Design.TWO_LEVEL else [],
            "outcomes": d["outcomes"],
            "subgroups": d["subgroups"],
            "eligibility": {k: v for k, v in eligibility.items() if v not in (None, [], "")},
            "starts_on": d["starts_on"],
            "ends_on": d["ends_on"],
            "seed": d["seed"],
        }

    def arms(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {"name": d["control_name"], "weight": 1, "cost_per_participant": d["control_cost"]},
            {
                "name": d["treatment_name"],
                "weight": d["treatment_weight"],
                "cost_per_participant": d["treatment_cost"],
            },
        ]


class PowerForm(forms.Form):
    baseline = forms.FloatField(
        label=_("Taux de retour à l'emploi attendu sans le dispositif (0 à 1)"),
        min_value=0.01,
        max_value=0.99,
        initial=0.3,
    )
    n_per_arm = forms.IntegerField(label=_("Personnes par bras"), min_value=2, required=False, initial=500)
    clusters_per_arm = forms.IntegerField(label=_("Ou : grappes par bras"), min_value=2, required=False)
    cluster_size = forms.IntegerField(label=_("Personnes par grappe"), min_value=1, required=False)
    icc = forms.FloatField(
        label=_("Corrélation intra-grappe (ICC)"), min_value=0, max_value=1, required=False
    )
    effect = forms.FloatField(
        label=_("Ou : effet visé (points, ex. 0,05) pour calculer la taille"), required=False
    )
    alpha = forms.FloatField(label=_("Risque alpha"), min_value=0.001, max_value=0.5, initial=0.05)
    power = forms.FloatField(label=_("Puissance"), min_value=0.5, max_value=0.999, initial=0.8)

    def clean(self):
        data = super().clean()
        if data.get("clusters_per_arm") and not data.get("cluster_size"):
            self.add_error("cluster_size", _("Indiquez la taille des grappes."))
        if not (data.get("n_per_arm") or data.get("clusters_per_arm") or data.get("effect")):
            raise forms.ValidationError(_("Indiquez une taille d'échantillon ou un effet visé."))
        return data
