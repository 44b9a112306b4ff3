"""The indicator registry (analysts): every indicator with its versions, proposed or active; an
analyst proposes a new version (a registered computation and its parameters) and activates it.
The same actions as `parcours evaluation propose-indicator-version|activate-indicator-version`."""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from parcours.accounts.models import Role
from parcours.evaluation import actions
from parcours.evaluation.indicators import FORMULAS
from parcours.evaluation.models import Indicator, IndicatorVersion

ANALYST = frozenset({Role.ANALYST})


class ProposeForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=gettext_lazy("Indicateur"), queryset=Indicator.objects.order_by("code"), to_field_name="code"
    )
    formula_key = forms.ChoiceField(label=gettext_lazy("Calcul"))
    parameters = forms.CharField(
        label=gettext_lazy("Paramètres (objet JSON)"), initial="{}", widget=forms.Textarea(attrs={"rows": 2})
    )
    notes = forms.CharField(
        label=gettext_lazy("Ce qui change dans cette version"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["formula_key"].choices = [(key, key) for key in sorted(FORMULAS)]

    def clean_parameters(self):
        try:
            value = json.loads(self.cleaned_data["parameters"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Ce n'est pas du JSON : %(error)s") % {"error": exc}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Un objet JSON, par exemple {"scale": 100}.'))
        return value


def _require_analyst(user) -> None:
    if not user.organisation_ids(ANALYST):
        raise PermissionDenied


def _page(request, form=None, status=200):
    indicators = Indicator.objects.order_by("code").prefetch_related(
        Prefetch("versions", queryset=IndicatorVersion.objects.order_by("number"))
    )
    return render(
        request,
        "evaluation/registry.html",
        {"indicators": indicators, "form": form or ProposeForm()},
        status=status,
    )


def registry(request: HttpRequest) -> HttpResponse:
    _require_analyst(request.user)
    return _page(request)


@require_POST
def propose(request: HttpRequest) -> HttpResponse:
    _require_analyst(request.user)
    form = ProposeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            version = actions.revise_indicator(
                data["indicator"],
                by=request.user,
                formula_key=data["formula_key"],
                parameters=data["parameters"],
                notes=data["notes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request, _("Version %(v)s proposée : elle sera calculée, pas publiée.") % {"v": version}
            )
            return redirect("evaluation:registry")
    return _page(request, form, status=400)


@require_POST
def activate(request: HttpRequest, version_id: int) -> HttpResponse:
    _require_analyst(request.user)
    version = get_object_or_404(IndicatorVersion.objects.select_related("indicator"), pk=version_id)
    try:
        actions.activate_indicator_version(version, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _page(request, status=400)
    messages.success(request, _("Version %(v)s activée : elle est publiée.") % {"v": version})
    return redirect("evaluation:registry")
