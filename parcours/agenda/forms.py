from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.agenda.models import Absence, AvailabilityRule
from parcours.organisations.models import Organisation, Site


class AvailabilityRuleForm(forms.ModelForm):
    class Meta:
        model = AvailabilityRule
        fields = [
            "organisation",
            "weekday",
            "start_time",
            "end_time",
            "slot_minutes",
            "channel",
            "site",
            "valid_from",
            "valid_until",
        ]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        ids = user.case_organisation_ids()
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=ids).order_by("name")
        self.fields["site"].queryset = Site.objects.filter(organisation_id__in=ids).select_related(
            "organisation"
        )
        self.fields["site"].help_text = _("Obligatoire pour un rendez-vous sur place.")
        self.fields["slot_minutes"].min_value = 10
        if len(ids) == 1:
            self.fields["organisation"].initial = ids[0]
        self.instance.counselor = user


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = ["starts_at", "ends_at", "reason"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("La fin doit être après le début."))
        return data
