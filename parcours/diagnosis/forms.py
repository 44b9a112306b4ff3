"""Forms: one questionnaire section at a time (built from the version's definition), barriers,
skills, plan actions and the orientation decision."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.cases.models import Approach, Intensity
from parcours.diagnosis import questionnaire as q
from parcours.diagnosis.models import SENSITIVE_BARRIERS, Action, Barrier, BarrierKind, Severity, Skill


class DateInput(forms.DateInput):
    """A native date picker: its value must be ISO whatever the active language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


BOOLEAN_CHOICES = [("yes", _("Oui")), ("no", _("Non"))]
SKILL_SOURCE_CHOICES = [("", _("Origine…")), *Skill.Source.choices]


class SectionForm(forms.Form):
    """The questions of one section of a questionnaire version, labelled in the active language.

    `answers()` gives the cleaned values in the stored format (see docs/diagnosis.md); the same
    form validates API payloads, so the web and the API accept exactly the same answers.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, section: dict, can_see_sensitive: bool = True, initial_answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section
        self.questions = [qu for qu in section["questions"] if q.is_visible(qu, can_see_sensitive)]
        initial_answers = initial_answers or {}
        for question in self.questions:
            self._add_fields(question, initial_answers.get(question["id"]))

    def _add_fields(self, question: dict, value) -> None:
        qid, kind = question["id"], question["type"]
        label = q.text(question["label"])
        help_text = q.text(question.get("help"))
        common = {"label": label, "required": False, "help_text": help_text}
        if kind == "text":
            field = forms.CharField(max_length=300, **common)
        elif kind == "textarea":
            field = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **common)
        elif kind == "number":
            field = forms.IntegerField(min_value=question.get("min"), max_value=question.get("max"), **common)
        elif kind == "date":
            field = forms.DateField(widget=DateInput(), **common)
        elif kind == "boolean":
            field = forms.ChoiceField(choices=BOOLEAN_CHOICES, widget=forms.RadioSelect, **common)
            value = None if value is None else ("yes" if value else "no")
        elif kind == "choice":
            choices = [(c["value"], q.text(c["label"])) for c in question["choices"]]
            field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        elif kind == "multi":
            choices = [(c["value"], q.text(c["label"])) for c in question["choices"]]
            field = forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
        else:  # skills: a fixed number of small groups, so that the page works without JavaScript
            self._add_skill_fields(question, value or [])
            return
        self.fields[qid] = field
        if value is not None:
            self.initial[qid] = value

    def _add_skill_fields(self, question: dict, items: list[dict]) -> None:
        qid = question["id"]
        for index in range(question.get("max_items", 3)):
            item = items[index] if index < len(items) else {}
            number = index + 1
            names = {
                "label": forms.CharField(
                    label=_("Compétence %(n)s") % {"n": number}, max_length=200, required=False
                ),
                "source": forms.ChoiceField(
                    label=_("Où l'avez-vous acquise ? (compétence %(n)s)") % {"n": number},
                    choices=SKILL_SOURCE_CHOICES,
                    required=False,
                ),
                "attested_by": forms.CharField(
                    label=_("Personne qui peut en témoigner (facultatif, compétence %(n)s)") % {"n": number},
                    max_length=150,
                    required=False,
                ),
                "attested_organisation": forms.CharField(
                    label=_("Son organisme (facultatif, compétence %(n)s)") % {"n": number},
                    max_length=200,
                    required=False,
                ),
            }
            for name, field in names.items():
                key = f"{qid}__{index}__{name}"
                self.fields[key] = field
                if item.get(name):
                    self.initial[key] = item[name]

    def skill_groups(self):
        """[(question, [[bound fields of item 1], ...])] for the template."""
        groups = []
        for question in self.questions:
            if question["type"] != "skills":
                continue
            items = []
            for index in range(question.get("max_items", 3)):
                items.append([self[f"{question['id']}__{index}__{n}"] for n in q.SKILL_FIELDS])
            groups.append((question, items))
        return groups

    def clean(self):
        cleaned = super().clean()
        for question in self.questions:
            if question["type"] != "skills":
                continue
            for index in range(question.get("max_items", 3)):
                prefix = f"{question['id']}__{index}__"
                has_label = bool(cleaned.get(prefix + "label"))
                extras = any(
                    cleaned.get(prefix + n) for n in ("source", "attested_by", "attested_organisation")
                )
                if extras and not has_label:
                    self.add_error(prefix + "label", _("Indiquez la compétence."))
        return cleaned

    def answers(self) -> dict:
        data = self.cleaned_data
        result = {}
        for question in self.questions:
            qid, kind = question["id"], question["type"]
            if kind == "skills":
                items = []
                for index in range(question.get("max_items", 3)):
                    prefix = f"{qid}__{index}__"
                    item = {n: (data.get(prefix + n) or "").strip() for n in q.SKILL_FIELDS}
                    if item["label"]:
                        items.append({k: v for k, v in item.items() if v})
                value = items
            elif kind == "boolean":
                value = {"yes": True, "no": False}.get(data.get(qid))
            elif kind == "date":
                value = data[qid].isoformat() if data.get(qid) else None
            elif kind in ("text", "textarea"):
                value = (data.get(qid) or "").strip()
            else:
                value = data.get(qid)
            if value not in (None, "", []):
                result[qid] = value
        return result


def api_data_for_section(section: dict, answers: dict) -> dict:
    """Turn JSON answers (stored format) into form data, so the API validates through SectionForm."""
    data = {}
    for question in section["questions"]:
        qid, kind = question["id"], question["type"]
        if qid not in answers:
            continue
        value = answers[qid]
        if kind == "skills":
            for index, item in enumerate(value if isinstance(value, list) else []):
                for name in q.SKILL_FIELDS:
                    data[f"{qid}__{index}__{name}"] = (
                        (item or {}).get(name, "") if isinstance(item, dict) else ""
                    )
        elif kind == "boolean":
            data[qid] = {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
        elif kind == "multi":
            data[qid] = value if isinstance(value, list) else [value]
        else:
            data[qid] = value
    return data


class StartDiagnosisForm(forms.Form):
    """Nothing to type: the current version of the default questionnaire is used."""


class BarrierForm(forms.Form):
    kind = forms.ChoiceField(label=_("Frein"), choices=BarrierKind.choices)
    severity = forms.ChoiceField(label=_("Importance"), choices=Severity.choices, initial=Severity.MEDIUM)
    note = forms.CharField(
        label=_("Précision"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, can_see_sensitive: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_see_sensitive:
            # Health and justice are offered only to those allowed to read them.
            self.fields["kind"].choices = [c for c in BarrierKind.choices if c[0] not in SENSITIVE_BARRIERS]


class SkillForm(forms.Form):
    label = forms.CharField(label=_("Compétence"), max_length=200)
    source = forms.ChoiceField(label=_("Origine"), choices=Skill.Source.choices)
    attested_by = forms.CharField(label=_("Attestée par (nom)"), required=False, max_length=150)
    attested_organisation = forms.CharField(
        label=_("Organisme de l'attestant·e"), required=False, max_length=200
    )
    attested_at = forms.DateField(label=_("Date de l'attestation"), required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("attested_at") and not (
            cleaned.get("attested_by") or cleaned.get("attested_organisation")
        ):
            self.add_error("attested_by", _("Indiquez qui atteste cette compétence."))
        if cleaned.get("attested_at") and cleaned["attested_at"] > timezone.localdate():
            self.add_error("attested_at", _("La date d'attestation ne peut pas être dans le futur."))
        return cleaned


class BarrierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Barrier):
        return obj.get_kind_display()


class ActionForm(forms.Form):
    goal = forms.CharField(label=_("Objectif"), max_length=300)
    owner = forms.ChoiceField(
        label=_("Qui s'en charge"), choices=Action.Owner.choices, initial=Action.Owner.PERSON
    )
    due_on = forms.DateField(label=_("Échéance"), required=False, widget=DateInput())
    barrier = BarrierChoiceField(label=_("Frein concerné"), queryset=Barrier.objects.none(), required=False)
    career_goal = forms.CharField(label=_("Ou objectif professionnel"), required=False, max_length=200)

    def __init__(self, *args, barriers=None, **kwargs):
        super().__init__(*args, **kwargs)
        barriers = list(barriers or [])
        self.fields["barrier"].queryset = Barrier.objects.filter(pk__in=[b.pk for b in barriers])
        # Barriers are already on the page: build the choices without one more query.
        self.fields["barrier"].choices = [("", "---------")] + [
            (b.pk, b.get_kind_display()) for b in barriers
        ]


class EditActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    goal = forms.CharField(label=_("Objectif"), max_length=300)
    owner = forms.ChoiceField(label=_("Qui s'en charge"), choices=Action.Owner.choices)
    due_on = forms.DateField(label=_("Échéance"), required=False, widget=DateInput())
    status = forms.ChoiceField(label=_("État"), choices=Action.Status.choices)
    career_goal = forms.CharField(label=_("Objectif professionnel"), required=False, max_length=200)


class ActionStatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    status = forms.ChoiceField(label=_("État"), choices=Action.Status.choices)


class AcceptSuggestionForm(forms.Form):
    barrier = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    key = forms.CharField(max_length=60)


class OrientationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    chosen_intensity = forms.ChoiceField(label=_("Intensité retenue"), choices=Intensity.choices)
    chosen_approach = forms.ChoiceField(label=_("Approche retenue"), choices=Approach.choices)
    reason = forms.CharField(
        label=_("Motif (obligatoire si la décision diffère de la suggestion)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    services = forms.CharField(
        label=_("Services proposés (un par ligne)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, suggestion=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestion = suggestion
        if suggestion is not None:
            self.initial.setdefault("chosen_intensity", suggestion.intensity)
            self.initial.setdefault("chosen_approach", suggestion.approach)

    def clean(self):
        cleaned = super().clean()
        chosen = (cleaned.get("chosen_intensity"), cleaned.get("chosen_approach"))
        if self.suggestion is not None and None not in chosen:
            differs = chosen != (self.suggestion.intensity, self.suggestion.approach)
            if differs and not (cleaned.get("reason") or "").strip():
                self.add_error("reason", _("Votre décision diffère de la suggestion : indiquez-en le motif."))
        return cleaned

    def services_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("services", "").splitlines() if line.strip()]
