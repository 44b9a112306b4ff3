"""The rest of the demo territory, built on the people and episodes that the loader wrote:
questionnaires and orientation rules, the ROME sample, a randomised experiment with a known effect,
the case work of every open episode (diagnoses, barriers, skills, action plans, orientations,
career projects, work placements), the service catalogue with referrals, job offers, hiring
declarations and tension, satisfaction surveys and their answers, the demo person's account, indicators, and a profiling model
trained on the synthetic history (so the pages show real scores).

Each step calls the same functions and commands an operator would, at the dates of each history
(``clock.at``). Used by ``parcours demo`` for territories small enough to be browsed (the
1M-people benchmark load skips it)."""

import datetime
import io
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.management import call_command
from django.test.utils import override_settings
from django.utils import timezone

from parcours.accounts.models import Membership, Role
from parcours.cases import intensity as contact_rule
from parcours.cases.models import SupportEpisode
from parcours.demo.after_hire import build_demo_after_hire
from parcours.demo.casework import build_demo_casework
from parcours.demo.catalogue import build_demo_catalogue
from parcours.demo.experiment import build_demo_experiment
from parcours.demo.market import build_demo_market, import_demo_offers_without_occupation
from parcours.demo.portal import build_demo_person_account
from parcours.demo.surveys import build_demo_surveys
from parcours.evaluation.indicators import ensure_registry
from parcours.organisations.models import Organisation, Territory
from parcours.profiling.actions import train_platform_model

logger = logging.getLogger(__name__)

ROME_SAMPLE_DIR = Path(__file__).resolve().parent.parent / "labour" / "fixtures" / "rome_sample"
#: real ESCO rows and a hand-chosen ROME <-> ESCO crosswalk for the sample fiches (see its README)
ESCO_SAMPLE_DIR = ROME_SAMPLE_DIR.parent / "esco_rome_sample"


def _quiet(*args, **kwargs) -> None:
    call_command(*args, verbosity=0, stdout=io.StringIO(), **kwargs)


# While the demo replays the past, background work is not queued (scores are computed at the end,
# notifications of the past are not e-mailed) and e-mails (survey invitations) go nowhere: they
# are in the Outbox table.
REPLAY_SETTINGS = {
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}},
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
}
STEPS = 12


def build_extras(seed: int, report: Callable[[str], None] = lambda _msg: None) -> None:
    """The steps below, in order; ``report`` is called once before each of the STEPS."""
    with override_settings(**REPLAY_SETTINGS):
        _build_extras(seed, report)


def _build_extras(seed: int, report: Callable[[str], None]) -> None:
    report("questionnaires et règles d'orientation")
    _quiet("diagnosis", "load-questionnaires")
    _quiet("diagnosis", "load-orientation-rules")

    report("référentiels ROME et ESCO (échantillons, table de correspondance)")
    _quiet("labour", "import-rome", str(ROME_SAMPLE_DIR))
    _quiet(
        "labour",
        "import-esco",
        str(ESCO_SAMPLE_DIR),
        "--mapping",
        str(ESCO_SAMPLE_DIR / "correspondance_rome_esco.csv"),
    )

    organisations = list(Organisation.objects.order_by("pk"))
    territories = list(Territory.objects.filter(level=Territory.Level.COMMUNE).order_by("pk"))
    open_episodes = SupportEpisode.objects.open().select_related("person", "organisation").order_by("pk")

    report("expérimentation (effet connu)")
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

    report("diagnostics, plans d'action, projets professionnels")
    build_demo_casework(seed, list(open_episodes))

    report("catalogue de services et orientations")
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

    report("offres d'emploi, établissements, embauches et tension")
    build_demo_market(seed, communes=territories)
    with tempfile.TemporaryDirectory() as folder:
        import_demo_offers_without_occupation(seed, territories, Path(folder))

    report("questionnaires de satisfaction")
    build_demo_surveys(seed)

    report("compte de la personne de démonstration")
    build_demo_person_account()

    report("emplois, points de suivi, engagements et procédures")
    build_demo_after_hire(seed)

    report("rythme de contact entre structures")
    # The history is written in bulk with each episode's own contacts; count those of the other
    # organisations the person shares their file with (parcours.cases.intensity).
    contact_rule.refresh_contact_due(SupportEpisode.objects.all())

    report("indicateurs")
    _quiet("evaluation", "compute-indicators")

    report("modèle de profilage")
    if train_platform_model(by=None, activate=True) is not None:
        _quiet("profiling", "score-all")
    # PostgreSQL: the replayed past went to the default partition of the audit tables; the
    # daily job gives each month its partition (nothing to do on SQLite)
    _quiet("cases", "partitions")
