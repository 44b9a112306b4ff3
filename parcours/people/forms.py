"""Forms of a person's record: identity and contact, consents."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.organisations.models import Territory
from parcours.people.models import Channel, Consent, DigitalAutonomy, Person, Sex, Status


class CommuneField(forms.CharField):
    """A commune typed as its INSEE code or postcode. A select of every French commune (35,000)
    would not scale; one indexed lookup does."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 5)
        kwargs.setdefault("help_text", _("Code INSEE ou code postal, par exemple 59350 ou 59000."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Territory):
            return value.insee_code
        if isinstance(value, int):
            territory = Territory.objects.filter(pk=value).first()
            return territory.insee_code if territory else ""
        return value

    def clean(self, value):
        code = (super().clean(value) or "").strip()
        if not code:
            return None
        communes = Territory.objects.filter(level=Territory.Level.COMMUNE)
        by_insee = communes.filter(insee_code=code).first()
        if by_insee:
            return by_insee
        matches = list(communes.filter(postcode=code)[:5])
        if len(matches) == 1:
            return matches[0]
        if matches:
            names = ", ".join(f"{c.name} ({c.insee_code})" for c in matches)
            raise forms.ValidationError(
                _("Plusieurs communes ont ce code postal : %(names)s. Saisissez le code INSEE."),
                params={"names": names},
            )
        raise forms.ValidationError(_("Aucune commune connue pour le code %(code)s."), params={"code": code})


class PersonForm(forms.ModelForm):
    """Identity, contact and preferences. Used to create a person and to edit one."""

    commune = CommuneField(label=_("Commune de résidence"), required=False)
    status = forms.ChoiceField(label=_("Situation"), choices=Status.choices, initial=Status.JOB_SEEKER)
    preferred_channels = forms.MultipleChoiceField(
        label=_("Canaux préférés"),
        required=False,
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    digital_autonomy = forms.ChoiceField(
        label=_("Autonomie numérique"), choices=DigitalAutonomy.choices, initial=DigitalAutonomy.UNKNOWN
    )
    sex = forms.ChoiceField(label=_("Sexe"), choices=Sex.choices, initial=Sex.OTHER)

    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "email",
            "phone",
            "address",
            "commune",
            "status",
            "preferred_channels",
            "digital_autonomy",
            "minimum_income",
            "priority_area",
            "disability_recognition",
        ]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, can_see_sensitive: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_see_sensitive:
            # RQTH is health data: whoever may not read it may not write it either.
            del self.fields["disability_recognition"]
        if self.instance.pk:
            self.initial.setdefault("status", self.instance.status)

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if value > today:
            raise forms.ValidationError(_("La date de naissance ne peut pas être dans le futur."))
        if value.year < today.year - 120:
            raise forms.ValidationError(_("Vérifiez l'année de naissance."))
        return value

    def person_fields(self) -> dict:
        """Cleaned values accepted by people.actions.create_person / update_person (status apart)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in {"status", "version", "confirm_new"}
        }


class CreatePersonForm(PersonForm):
    confirm_new = forms.BooleanField(
        label=_("Aucune de ces fiches n'est la bonne : créer une nouvelle personne"), required=False
    )


class EditPersonForm(PersonForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", self.instance.version)


class ConsentForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Organisation"), choices=[])
    scope = forms.ChoiceField(
        label=_("Portée"), choices=Consent.Scope.choices, initial=Consent.Scope.CASE_FILE
    )
    note = forms.CharField(label=_("Précision (facultatif)"), required=False, max_length=300)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {org.pk: org for org in organisations}
        self.fields["organisation"].choices = [(pk, org.name) for pk, org in self.organisations.items()]

    def clean_organisation(self):
        return self.organisations[int(self.cleaned_data["organisation"])]
