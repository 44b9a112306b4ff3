"""Forms of the catalogue pages. They keep what was typed; writes go through catalogue.actions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.catalogue import taxonomy as tx
from parcours.catalogue.models import (
    PartnershipConvention,
    ReferralOutcome,
    RefusalReason,
    Service,
    SharedField,
    WorkshopSession,
)
from parcours.organisations.forms import CommuneField
from parcours.organisations.models import Organisation, Site, Territory
from parcours.people.models import Status

BLANK = [("", "—")]


def thematique_choices():
    """Categories, each followed by its thematiques (a category matches all of them)."""
    groups = [("", _("Toutes les thématiques"))]
    by_category: dict[str, list] = {}
    for code, label in tx.THEMATIQUE_CHOICES:
        by_category.setdefault(tx.category_of(code), []).append((code, label))
    for code, label in tx.CATEGORIE_CHOICES:
        groups.append(
            (label, [(code, _("%(category)s (toutes)") % {"category": label}), *by_category.get(code, [])])
        )
    return groups


class PublicSearchForm(forms.Form):
    """The public catalogue: anyone may look for a service."""

    thematique = forms.ChoiceField(label=_("Thématique"), required=False, choices=thematique_choices)
    commune = CommuneField(label=_("Commune"), required=False, max_length=100)
    public = forms.ChoiceField(label=_("Public"), required=False, choices=BLANK + tx.PUBLIC_CHOICES)
    modality = forms.ChoiceField(
        label=_("Modalité"), required=False, choices=BLANK + list(tx.Modality.choices)
    )
    text = forms.CharField(label=_("Mots-clés"), required=False, max_length=100)

    def __init__(self, *args, suggest_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if suggest_url:
            self.fields["commune"].suggest_from(suggest_url)


class MatchForm(forms.Form):
    """The counselor's search for one person: needs (barriers) and preferences."""

    barriers = forms.MultipleChoiceField(
        label=_("Besoins (freins à lever)"),
        required=False,
        choices=tx.ServiceBarrierKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    thematique = forms.ChoiceField(label=_("Thématique"), required=False, choices=thematique_choices)
    public = forms.ChoiceField(label=_("Public"), required=False, choices=BLANK + tx.PUBLIC_CHOICES)
    modality = forms.ChoiceField(
        label=_("Modalité"), required=False, choices=BLANK + list(tx.Modality.choices)
    )
    radius_km = forms.IntegerField(
        label=_("Distance maximale (km)"), required=False, min_value=1, max_value=500
    )


class ReferralForm(forms.Form):
    shared_fields = forms.MultipleChoiceField(
        label=_("Informations que la personne accepte de transmettre"),
        choices=SharedField.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[SharedField.IDENTITY, SharedField.CONTACT],
    )
    barriers = forms.MultipleChoiceField(
        label=_("Freins concernés (transmis si « Freins » est coché)"),
        required=False,
        choices=tx.ServiceBarrierKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    message = forms.CharField(
        label=_("Message au service (sans information de santé ou de justice)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent_given = forms.BooleanField(
        label=_("La personne a donné son accord pour la transmission de ces informations à ce service"),
        required=True,
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RefuseForm(VersionForm):
    reason = forms.ChoiceField(label=_("Motif du refus"), choices=BLANK + list(RefusalReason.choices))
    note = forms.CharField(
        label=_("Précisions"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class OutcomeForm(VersionForm):
    outcome = forms.ChoiceField(label=_("Résultat"), choices=BLANK + list(ReferralOutcome.choices))
    note = forms.CharField(
        label=_("Précisions"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ServiceForm(forms.ModelForm):
    thematiques = forms.MultipleChoiceField(
        label=_("Thématiques"), choices=tx.THEMATIQUE_CHOICES, widget=forms.SelectMultiple(attrs={"size": 10})
    )
    publics = forms.MultipleChoiceField(
        label=_("Publics"), choices=tx.PUBLIC_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    statuses = forms.MultipleChoiceField(
        label=_("Situations admises (aucune cochée : toutes)"),
        required=False,
        choices=Status.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    reserved_for = forms.MultipleChoiceField(
        label=_("Réservé aux (aucun coché : sans condition)"),
        required=False,
        choices=tx.Benefit.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    barriers = forms.MultipleChoiceField(
        label=_("Freins traités"),
        required=False,
        choices=tx.ServiceBarrierKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    modes_accueil = forms.MultipleChoiceField(
        label=_("Modes d'accueil"),
        required=False,
        choices=tx.MODE_ACCUEIL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    modes_mobilisation = forms.MultipleChoiceField(
        label=_("Modes de mobilisation"),
        required=False,
        choices=tx.MODE_MOBILISATION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    mobilisable_par = forms.MultipleChoiceField(
        label=_("Mobilisable par"),
        required=False,
        choices=tx.MOBILISABLE_PAR_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    territories = forms.ModelMultipleChoiceField(
        label=_("Zone d'éligibilité (aucune : partout)"),
        required=False,
        queryset=Territory.objects.filter(level__in=[Territory.Level.COMMUNE, Territory.Level.DEPARTEMENT]),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Service
        fields = [
            "name",
            "description",
            "type",
            "thematiques",
            "publics",
            "statuses",
            "min_age",
            "max_age",
            "reserved_for",
            "barriers",
            "territories",
            "site",
            "modes_accueil",
            "at_home",
            "capacity",
            "schedule",
            "frais",
            "frais_details",
            "contact_name",
            "phone",
            "email",
            "modes_mobilisation",
            "mobilisable_par",
            "update_frequency_days",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(organisation=organisation)

    def clean(self):
        data = super().clean()
        if data.get("min_age") and data.get("max_age") and data["min_age"] > data["max_age"]:
            self.add_error("max_age", _("L'âge maximum est inférieur à l'âge minimum."))
        publics = data.get("publics") or []
        if tx.TOUS_PUBLICS in publics and len(publics) > 1:
            self.add_error("publics", _("« Tous publics » ne peut pas être combiné avec d'autres publics."))
        return data

    def action_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "territories"}
        for name in ("type", "frais"):
            data[name] = data[name] or ""
        return data


class WorkshopSessionForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=_("Début"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    class Meta:
        model = WorkshopSession
        fields = ["title", "starts_at", "duration_minutes", "capacity", "site"]

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(organisation_id=service.organisation_id)
        self.fields["capacity"].min_value = 1


class RegisterForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Personne"), queryset=None, to_field_name="public_id")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class ConventionForm(forms.ModelForm):
    publics = forms.MultipleChoiceField(
        label=_("Publics"), choices=tx.PUBLIC_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    start_on = forms.DateField(label=_("Début"), widget=forms.DateInput(attrs={"type": "date"}))
    end_on = forms.DateField(label=_("Fin"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = PartnershipConvention
        fields = [
            "title",
            "organisations",
            "publics",
            "territories",
            "services",
            "referral_rules",
            "start_on",
            "end_on",
            "document",
        ]
        widgets = {"referral_rules": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, services_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territories"].queryset = Territory.objects.exclude(level=Territory.Level.REGION)
        self.fields["services"].queryset = (
            services_queryset if services_queryset is not None else Service.objects.none()
        )
        self.fields["services"].required = False

    def clean(self):
        data = super().clean()
        if data.get("start_on") and data.get("end_on") and data["end_on"] < data["start_on"]:
            self.add_error("end_on", _("La fin est antérieure au début."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Fichier JSON data·inclusion (structures et services)"))
