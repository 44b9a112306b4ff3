"""HTML pages of profiling: the score of an episode (with the counselor's override), the public
model card, and the monitoring page for analysts and managers.

Access: an episode goes through access.episodes(user) (404 otherwise); an
override needs a counselor or manager of the episode's organisation on an open episode (403 for a
follow-up member of another one). Reading the score page is a read of the file (access.log_read).
The model card holds no personal data and is public (the person concerned may read it).
"""

import datetime
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Floor, Least, TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from parcours.accounts.models import Role
from parcours.cases import access
from parcours.cases.locking import ConcurrentEditError
from parcours.profiling import actions, cards, dataset
from parcours.profiling.dataset import outcome_settings
from parcours.profiling.forms import OverrideForm
from parcours.profiling.models import Band, ProfilingModel, ProfilingScore, band_cutoffs

logger = logging.getLogger(__name__)

MONITORING_ROLES = frozenset({Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR})
ACTIVATION_ROLES = frozenset({Role.ANALYST, Role.ADMINISTRATOR})
HISTORY_LIMIT = 10


def _can_manage(user, episode) -> bool:
    return episode.is_open and episode.organisation_id in user.case_organisation_ids()


def _score_page(request, episode, *, form=None, status=200) -> HttpResponse:
    scores = list(
        ProfilingScore.objects.filter(episode=episode)
        .select_related("model", "overridden_by")
        .defer("model__artefact", "model__card_html", "model__card", "model__fairness")
        .order_by("-computed_at", "-pk")[:HISTORY_LIMIT]
    )
    score = scores[0] if scores else None
    can_manage = _can_manage(request.user, episode)
    if score and can_manage and form is None:
        form = OverrideForm(initial={"band": score.effective_band, "version": score.version})
    low, high = band_cutoffs()
    context = {
        "episode": episode,
        "person": episode.person,
        "score": score,
        "factors": [
            {"text": dataset.factor_text(f), "contribution": f.get("contribution", 0)}
            for f in (score.top_factors if score else [])
        ],
        "history": scores[1:],
        "form": form if score and can_manage else None,
        "low_cut": round(low * 100),
        "high_cut": round(high * 100),
    }
    return render(request, "profiling/episode_score.html", context, status=status)


@require_http_methods(["GET", "POST"])
def episode_score(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=request.method == "POST")
    access.log_read(episode.person, user=request.user, route="profiling:episode_score")
    if request.method == "GET":
        return _score_page(request, episode)
    score = ProfilingScore.objects.latest_for(episode)
    if score is None:
        messages.error(request, _("Aucun score à modifier pour cet accompagnement."))
        return _score_page(request, episode, status=400)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        return _score_page(request, episode, form=form, status=400)
    try:
        actions.override_score(
            score,
            by=request.user,
            band=form.cleaned_data["band"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ConcurrentEditError:
        form.add_error(
            None, _("Le score a été modifié entre-temps : relisez-le ; votre saisie est conservée.")
        )
        return _score_page(request, episode, form=form, status=409)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return _score_page(request, episode, form=form, status=400)
    messages.success(request, _("Votre tranche est enregistrée avec son motif."))
    return redirect("profiling:episode_score", public_id=episode.public_id)


def _card_model(version: str) -> ProfilingModel:
    return get_object_or_404(ProfilingModel.objects.defer("artefact"), version=version)


@login_not_required
def model_card_public(request: HttpRequest, version: str) -> HttpResponse:
    model = _card_model(version)
    card = model.card or {}
    chosen = (card.get("metrics") or {}).get(card.get("chosen_model"), {})
    context = {
        "model": model,
        "card": card,
        "words": cards.present(card),
        "chosen_metrics": chosen,
        "fairness_groups": (card.get("fairness") or {}).get("groups", {}),
        "low_cut": round(band_cutoffs()[0] * 100),
        "high_cut": round(band_cutoffs()[1] * 100),
    }
    return render(request, "profiling/model_card.html", context)


@login_not_required
def model_card_full(request: HttpRequest, version: str) -> HttpResponse:
    """The complete card (metrics of both models, adoption rule, fairness audit) in the site's layout,
    every feature and value through its label; the core's standalone HTML stays for the CLI."""
    model = _card_model(version)
    card = model.card or {}
    return render(
        request,
        "profiling/model_card_full.html",
        {"model": model, "card": card, "words": cards.present(card)},
    )


# -- monitoring -----------------------------------------------------------------------------------


def _monitoring_orgs(user) -> list[int]:
    org_ids = user.organisation_ids(MONITORING_ROLES)
    if not org_ids:
        raise PermissionDenied
    return org_ids


def _bar_chart(months: list[dict]) -> dict:
    """Stacked bars (one per month, one segment per band) as coordinates for an inline SVG."""
    width, height, top = 640, 220, 10
    n = max(len(months), 1)
    step = (width - 60) / n
    peak = max([m["total"] for m in months] + [1])
    bars = []
    for i, month in enumerate(months):
        x = 50 + i * step + step * 0.15
        y = height - 30
        segments = []
        for band in Band.values:
            count = month[band]
            h = (height - 30 - top) * count / peak
            y -= h
            segments.append(
                {"band": band, "label": Band(band).label, "count": count, "y": round(y, 1), "h": round(h, 1)}
            )
        bars.append(
            {"x": round(x, 1), "w": round(step * 0.7, 1), "label": month["label"], "segments": segments}
        )
    return {"width": width, "height": height, "bars": bars, "peak": peak, "axis_y": height - 30}


def _calibration_chart(bins: list[dict]) -> dict:
    size, margin = 300, 40
    span = size - 2 * margin
    points = [
        {
            "cx": round(margin + span * b["predicted"], 1),
            "cy": round(size - margin - span * b["observed"], 1),
            **b,
        }
        for b in bins
    ]
    return {"size": size, "margin": margin, "far": size - margin, "points": points}


def _selected_model(request, models: list[ProfilingModel]) -> ProfilingModel | None:
    wanted = request.GET.get("version")
    for model in models:
        if model.version == wanted:
            return model
    return next((m for m in models if m.is_active), models[0] if models else None)


def monitoring(request: HttpRequest) -> HttpResponse:
    org_ids = _monitoring_orgs(request.user)
    models = list(ProfilingModel.objects.defer("artefact", "card_html", "card", "fairness", "metrics")[:50])
    model = _selected_model(request, models)
    context = {
        "models": models,
        "model": model,
        "can_activate": bool(request.user.organisation_ids(ACTIVATION_ROLES)),
        "months": [],
        "teams": [],
        "bins": [],
    }
    if model is not None:
        scores = ProfilingScore.objects.filter(model=model, episode__organisation_id__in=org_ids)
        months: dict = {}
        for row in (
            scores.annotate(month=TruncMonth("computed_at"))
            .values("month", "band")
            .annotate(n=Count("pk"))
            .order_by("month", "band")
        ):
            entry = months.setdefault(
                row["month"],
                {"label": row["month"].strftime("%m/%Y"), "total": 0, **dict.fromkeys(Band.values, 0)},
            )
            entry[row["band"]] += row["n"]
            entry["total"] += row["n"]
        context["months"] = list(months.values())
        context["chart"] = _bar_chart(context["months"])
        context["teams"] = [
            {**row, "rate": round(100 * row["overridden"] / row["total"]) if row["total"] else 0}
            for row in scores.values("episode__organisation__name", "episode__site__name")
            .annotate(total=Count("pk"), overridden=Count("pk", filter=Q(overridden_at__isnull=False)))
            .order_by("episode__organisation__name", "episode__site__name")
        ]
        context["bins"] = _calibration_bins(scores)
        context["calibration"] = _calibration_chart(context["bins"])
    return render(request, "profiling/monitoring.html", context)


def _calibration_bins(scores) -> list[dict]:
    """Predicted vs observed per tenth of predicted probability, for episodes whose outcome is
    known, using each episode's latest score of the model. One aggregated query."""
    outcome = outcome_settings()
    horizon = datetime.timedelta(days=int(outcome["horizon_days"]))
    today = timezone.localdate()
    deadline = ExpressionWrapper(F("episode__started_on") + horizon, output_field=DateField())
    later = ProfilingScore.objects.filter(
        episode=OuterRef("episode"), model=OuterRef("model"), computed_at__gt=OuterRef("computed_at")
    )
    rows = (
        scores.filter(~Exists(later))
        .annotate(
            deadline=deadline,
            observed=Case(
                When(
                    Q(episode__ended_on__isnull=False)
                    & Q(episode__end_reason__in=outcome["positive_end_reasons"])
                    & Q(episode__ended_on__lte=F("deadline")),
                    then=0.0,
                ),
                When(episode__started_on__lte=today - horizon, then=1.0),
                default=None,
                output_field=FloatField(),
            ),
        )
        .filter(observed__isnull=False)
        .annotate(bin=Least(Floor(F("score") * 10.0), Value(9.0)))
        .values("bin")
        .annotate(n=Count("pk"), predicted=Avg("score"), observed_rate=Avg("observed"))
        .order_by("bin")
    )
    return [
        {
            "bin": int(r["bin"]),
            "range": f"{int(r['bin']) * 10}–{int(r['bin']) * 10 + 10} %",
            "n": r["n"],
            "predicted": float(r["predicted"]),
            "observed": float(r["observed_rate"]),
        }
        for r in rows
    ]


@require_POST
def activate(request: HttpRequest, version: str) -> HttpResponse:
    if not request.user.organisation_ids(ACTIVATION_ROLES):
        raise PermissionDenied
    model = get_object_or_404(ProfilingModel.objects.defer("artefact"), version=version)
    actions.activate_model(model, by=request.user)
    messages.success(request, _("Le modèle %(version)s est maintenant actif.") % {"version": model.version})
    return redirect(reverse("profiling:monitoring") + f"?version={model.version}")
