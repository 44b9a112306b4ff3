"""The rest of the demo territory, built on the people and episodes that the loader wrote:
questionnaires and orientation rules, the ROME sample, the service catalogue with referrals,
job offers and hiring declarations, a randomised experiment with a known effect, indicators,
and a profiling model trained on the synthetic history (so the pages show real scores).

Each step calls the same functions and commands an operator would; each is skipped with a log line
when the data it needs is missing. Used by ``parcours demo`` for territories small enough to be
browsed (the 1M-people benchmark load skips it)."""

import datetime
import io
import logging
from collections.abc import Callable
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from parcours.accounts.models import Membership, Role
from parcours.cases.models import SupportEpisode
from parcours.organisations.models import Organisation, Territory

logger = logging.getLogger(__name__)

ROME_SAMPLE_DIR = Path(__file__).resolve().parent.parent / "labour" / "fixtures" / "rome_sample"


def _quiet(*args, **kwargs) -> None:
    call_command(*args, verbosity=0, stdout=io.StringIO(), **kwargs)


def build_extras(seed: int, report: Callable[[str], None] = lambda _msg: None) -> None:
    report("questionnaires et règles d'orientation")
    _quiet("diagnosis", "load-questionnaires")
    _quiet("diagnosis", "load-orientation-rules")

    report("référentiel ROME (échantillon)")
    _quiet("labour", "import-rome", str(ROME_SAMPLE_DIR))

    organisations = list(Organisation.objects.order_by("pk"))
    territories = list(Territory.objects.filter(level=Territory.Level.COMMUNE).order_by("pk"))
    open_episodes = SupportEpisode.objects.open().select_related("person", "organisation").order_by("pk")

    report("catalogue de services et orientations")
    from parcours.catalogue.demo import build_demo_catalogue

    coordinator = (
        Membership.objects.filter(role=Role.COORDINATOR, is_active=True).select_related("user").first()
    )
    build_demo_catalogue(
        seed,
        organisations,
        territories,
        list(open_episodes[:400]),
        coordinator=coordinator and coordinator.user,
    )

    report("offres d'emploi, établissements et embauches")
    from parcours.market.demo import build_demo_market

    build_demo_market(seed, communes=territories)

    report("expérimentation (effet connu)")
    from parcours.evaluation.demo import build_demo_experiment
    from parcours.evaluation.indicators import ensure_registry

    ensure_registry()
    analyst = Membership.objects.filter(role=Role.ANALYST, is_active=True).select_related(
        "organisation", "user"
    )
    analyst = analyst.first()
    if analyst is not None:
        started_before = timezone.localdate() - datetime.timedelta(days=183)
        candidates = list(
            open_episodes.filter(organisation=analyst.organisation, started_on__lte=started_before).order_by(
                "pk"
            )
        )
        if len(candidates) >= 40:
            build_demo_experiment(seed, candidates, by=analyst.user)
        else:
            logger.info("demo experiment skipped reason=too_few_episodes n=%s", len(candidates))

    report("indicateurs")
    _quiet("evaluation", "compute-indicators")

    report("modèle de profilage")
    from parcours.profiling.actions import train_platform_model

    if train_platform_model(by=None, activate=True) is not None:
        _quiet("profiling_platform", "score-all")
