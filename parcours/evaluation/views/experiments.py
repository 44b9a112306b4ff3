"""Experiments, for analysts of the experiment's organisation (everyone else gets 404): list,
creation, the analysis page (pre-registration, assignment counts, stored impact reports) and the
power calculator."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from parcours.accounts.models import Role
from parcours.cases.locking import ConcurrentEditError
from parcours.evaluation import actions
from parcours.evaluation.forms import ExperimentForm, PowerForm
from parcours.evaluation.models import SMALL_CELL_THRESHOLD, Experiment
from parcours.evaluation.tasks import run_analysis_task
from parcours.organisations.models import Organisation
from parcours.stats.errors import BadInputError
from parcours.stats.evaluation import minimum_detectable_effect, sample_size

logger = logging.getLogger(__name__)
ANALYST = frozenset({Role.ANALYST})


def _analyst_org_ids(user) -> list[int]:
    org_ids = user.organisation_ids(ANALYST)
    if not org_ids:
        raise PermissionDenied
    return org_ids


def get_experiment_for_analyst(request: HttpRequest, public_id) -> Experiment:
    return get_object_or_404(
        Experiment.objects.filter(organisation_id__in=request.user.organisation_ids(ANALYST)).select_related(
            "organisation"
        ),
        public_id=public_id,
    )


def experiment_list(request: HttpRequest) -> HttpResponse:
    org_ids = _analyst_org_ids(request.user)
    experiments = (
        Experiment.objects.filter(organisation_id__in=org_ids)
        .select_related("organisation")
        .annotate(n_assigned=Count("assignments"))
        .order_by("-created_at")[:200]
    )
    return render(request, "evaluation/experiment_list.html", {"experiments": experiments})


@require_http_methods(["GET", "POST"])
def experiment_create(request: HttpRequest) -> HttpResponse:
    org_ids = _analyst_org_ids(request.user)
    form = ExperimentForm(request.POST or None, organisations=Organisation.objects.filter(pk__in=org_ids))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                experiment = actions.create_experiment(
                    by=request.user,
                    organisation=form.cleaned_data["organisation"],
                    arms=form.arms(),
                    **form.experiment_fields(),
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Expérimentation créée (brouillon)."))
                return redirect("evaluation:experiment_detail", public_id=experiment.public_id)
        status = 400
    return render(request, "evaluation/experiment_form.html", {"form": form}, status=status)


def experiment_detail(request: HttpRequest, public_id) -> HttpResponse:
    experiment = get_experiment_for_analyst(request, public_id)
    arms = list(experiment.arms.annotate(n=Count("assignments")).order_by("position"))
    reports = list(experiment.reports.order_by("-number")[:10])
    context = {
        "experiment": experiment,
        "arms": arms,
        "report": reports[0] if reports else None,
        "reports": reports,
        "threshold": SMALL_CELL_THRESHOLD,
        "next_statuses": sorted(Experiment.TRANSITIONS[experiment.status] - {experiment.status}),
        "status_labels": dict(Experiment.Status.choices),
    }
    return render(request, "evaluation/experiment_detail.html", context)


@require_POST
def experiment_change_status(request: HttpRequest, public_id) -> HttpResponse:
    experiment = get_experiment_for_analyst(request, public_id)
    target = request.POST.get("status")
    change = {
        Experiment.Status.REGISTERED: actions.register_experiment,
        Experiment.Status.RUNNING: actions.start_experiment,
        Experiment.Status.CLOSED: actions.close_experiment,
    }.get(target)
    if change is None:
        messages.error(request, _("Changement de statut inconnu."))
        return redirect("evaluation:experiment_detail", public_id=experiment.public_id)
    try:
        version = int(request.POST.get("version") or 0) or None
        change(experiment, by=request.user, expected_version=version)
    except ConcurrentEditError:
        messages.error(
            request, _("L'expérimentation a été modifiée entre-temps : rien n'a changé. Vérifiez son état.")
        )
    except ValidationError as exc:
        messages.error(request, _("Impossible : %(detail)s") % {"detail": "; ".join(exc.messages)})
    else:
        messages.success(request, _("Statut mis à jour."))
    return redirect("evaluation:experiment_detail", public_id=experiment.public_id)


@require_POST
def experiment_analyse(request: HttpRequest, public_id) -> HttpResponse:
    """Queue a new analysis; the page shows it once stored (never computed in a GET)."""
    experiment = get_experiment_for_analyst(request, public_id)
    if experiment.status in (Experiment.Status.DRAFT, Experiment.Status.REGISTERED):
        messages.error(request, _("L'expérimentation n'a pas encore commencé."))
    else:
        experiment_id, user_id = experiment.pk, request.user.pk
        transaction.on_commit(lambda: run_analysis_task.enqueue(experiment_id, user_id))
        messages.success(request, _("Analyse lancée : le rapport apparaîtra ici une fois calculé."))
    return redirect("evaluation:experiment_detail", public_id=experiment.public_id)


def power_calculator(request: HttpRequest) -> HttpResponse:
    _analyst_org_ids(request.user)
    form = PowerForm(request.GET or None)
    result = None
    status = 200
    if request.GET:
        if form.is_valid():
            d = form.cleaned_data
            try:
                common = {
                    "baseline": d["baseline"],
                    "alpha": d["alpha"],
                    "power": d["power"],
                    "icc": d["icc"],
                }
                if d.get("effect"):
                    result = sample_size(d["effect"], cluster_size=d["cluster_size"], **common).to_dict()
                elif d.get("clusters_per_arm"):
                    result = minimum_detectable_effect(
                        clusters_per_arm=d["clusters_per_arm"], cluster_size=d["cluster_size"], **common
                    ).to_dict()
                else:
                    result = minimum_detectable_effect(
                        n_per_arm=d["n_per_arm"], cluster_size=d["cluster_size"], **common
                    ).to_dict()
            except BadInputError as exc:
                form.add_error(None, str(exc))
                status = 400
        else:
            status = 400
    return render(request, "evaluation/power.html", {"form": form, "result": result}, status=status)
