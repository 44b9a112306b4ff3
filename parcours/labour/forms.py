"""Forms of the career project page and of the occupation search. Each change form carries the
hidden ``version`` of the row it edits (concurrent edits are refused, never overwritten)."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from parcours.labour.models import CareerProject, Occupation, WorkPlacement
from parcours.labour.normalising import resolve_occupation


class OccupationSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Métier ou intitulé de poste"),
        required=False,
        max_length=200,
        help_text=_("Saisie libre : « aide soignante de nuit », « dev web »…"),
    )


class OccupationInput(forms.CharField):
    """An occupation typed as a job title ("aide soignant"), a ROME code (J1501) or a suggestion
    ("J1501 — Aide-soignant / Aide-soignante"). The form resolves it (OccupationFormMixin)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("label", _("Métier (intitulé de poste ou code ROME)"))
        kwargs.setdefault("help_text", _("Par exemple « aide soignant », « dev web » ou J1501."))
        super().__init__(**kwargs)


class OccupationFormMixin:
    """Resolves the ``occupation`` text through the job-title normaliser (parcours.labour.normalising).

    Without JavaScript the free title is resolved when the form is posted; when several occupations
    are close, the form comes back with what was typed and a choice (``pick``) among the candidates.
    With htmx the input fills a <datalist> of suggestions as the user types (OCCUPATION_OPTIONS).
    """

    def _setup_occupation(self):
        field = self.fields["occupation"]
        options = f"{self.add_prefix('occupation')}-options"
        field.widget.attrs.update(
            {
                "list": options,
                "autocomplete": "off",
                "hx-get": reverse("labour:occupation_search"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": f"#{options}",
                "hx-swap": "innerHTML",
            }
        )
        self.options_id = options
        self.candidates: tuple[Occupation, ...] = ()
        if not self.is_bound:
            del self.fields["pick"]

    @property
    def candidate_pairs(self) -> list[tuple[Occupation, None]]:
        return [(o, None) for o in self.candidates]

    def _clean_occupation(self, data: dict) -> dict:
        typed = data.get("occupation")
        pick = data.pop("pick", "")
        if not typed:
            self.fields.pop("pick", None)
            return data
        resolution = resolve_occupation(typed)
        by_code = {o.rome_code: o for o in resolution.candidates}
        occupation = resolution.occupation or by_code.get((pick or "").upper())
        if occupation is not None:
            data["occupation"] = occupation
            self.fields.pop("pick", None)
            return data
        data.pop("occupation", None)
        if resolution.code:
            self.fields.pop("pick", None)
            self.add_error(
                "occupation",
                forms.ValidationError(
                    _("Aucun métier en vigueur n'a le code ROME %(code)s."), params={"code": resolution.code}
                ),
            )
        elif resolution.candidates:
            self.candidates = resolution.candidates
            self.fields["pick"].widget.choices = [
                (o.rome_code, f"{o.label} ({o.rome_code})") for o in resolution.candidates
            ]
            self.add_error(
                "occupation",
                forms.ValidationError(
                    _("Plusieurs métiers correspondent à « %(typed)s » : choisissez-en un ci-dessous."),
                    params={"typed": typed},
                ),
            )
        else:
            self.fields.pop("pick", None)
            self.add_error(
                "occupation",
                forms.ValidationError(
                    _(
                        "Aucun métier ne correspond à « %(typed)s » : essayez un autre intitulé ou un code ROME."
                    ),
                    params={"typed": typed},
                ),
            )
        return data


def pick_field() -> forms.CharField:
    """The choice among candidates, offered only when the typed title was ambiguous. A CharField:
    its candidates depend on the text, and are checked against it in _clean_occupation."""
    return forms.CharField(label=_("Métier voulu"), required=False, max_length=5, widget=forms.RadioSelect)


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


class AddTargetForm(OccupationFormMixin, forms.Form):
    occupation = OccupationInput()
    pick = pick_field()
    status = forms.ChoiceField(
        label=_("Statut"),
        choices=[
            (CareerProject.Status.TO_EXPLORE, CareerProject.Status.TO_EXPLORE.label),
            (CareerProject.Status.DISCOVERED, CareerProject.Status.DISCOVERED.label),
        ],
        initial=CareerProject.Status.TO_EXPLORE,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_occupation()

    def clean(self):
        return self._clean_occupation(super().clean())


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


class PlacementForm(OccupationFormMixin, forms.Form):
    objective = forms.ChoiceField(label=_("Objectif"), choices=WorkPlacement.Objective.choices)
    occupation = OccupationInput()
    pick = pick_field()
    host_name = forms.CharField(label=_("Structure d'accueil"), max_length=200)
    host_establishment = forms.CharField(
        label=_("Établissement (adresse ou SIRET)"), max_length=300, required=False
    )
    starts_on = forms.DateField(label=_("Début"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Fin"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_occupation()

    def clean(self):
        data = self._clean_occupation(super().clean())
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
