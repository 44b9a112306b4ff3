from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.profiling.models import Band


class OverrideForm(forms.Form):
    band = forms.ChoiceField(label=_("Tranche que vous retenez"), choices=Band.choices)
    reason = forms.CharField(
        label=_("Motif de l'écart (obligatoire)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Ce qui, dans votre connaissance de la situation, justifie une autre tranche."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Indiquez le motif de l'écart."))
        return reason
