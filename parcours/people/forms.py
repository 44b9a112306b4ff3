"""Forms of a person's record: identity and contact, consents."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.organisations.forms import CommuneField
from parcours.people.models import Channel, Consent, DigitalAutonomy, Person, Sex, Status
from parcours.people.phones import InvalidPhone, normalise_phone


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

    def __init__(self, *args, can_see_sensitive: bool = False, suggest_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if suggest_url:  # typing a commune asks the form's own page for suggestions (htmx)
            self.fields["commune"].suggest_from(suggest_url)
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

    def clean_phone(self):
        try:
            return normalise_phone(self.cleaned_data.get("phone", ""))
        except InvalidPhone:
            raise forms.ValidationError(
                _(
                    "Numéro de téléphone non valable : par exemple 06 12 34 56 78, ou +262 692 12 34 56 hors métropole."
                )
            ) from None

    def person_fields(self) -> dict:
        """Cleaned values accepted by people.actions.create_person / update_person (status apart)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in {"status", "version", "confirm_new", "invite_to_portal"}
        }


class CreatePersonForm(PersonForm):
    invite_to_portal = forms.BooleanField(
        label=_("Inviter la personne à son espace personnel"),
        help_text=_(
            "Elle reçoit par courriel ou par SMS l'adresse de son espace (plan, rendez-vous, messages)."
        ),
        required=False,
    )
    confirm_new = forms.BooleanField(
        label=_("Aucune de ces fiches n'est la bonne : créer une nouvelle personne"), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("invite_to_portal") and not data.get("email") and not data.get("phone"):
            self.add_error(
                "invite_to_portal",
                _("Pour l'inviter, indiquez son adresse électronique ou son numéro de mobile."),
            )
        return data


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
