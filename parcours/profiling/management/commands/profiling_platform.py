"""``parcours profiling_platform train-platform|score-all|activate``: profiling on the platform's own data.

- ``train-platform [--activate] [--json]``: fit a model on the episodes whose outcome is known and
  store it in the registry (exit 0 with a message when there are too few episodes);
- ``score-all [--chunk-size N]``: score every open episode with the active model, streaming in chunks;
- ``activate VERSION``: make a stored model the active one.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from parcours.cases.models import SupportEpisode
from parcours.profiling import actions
from parcours.profiling.models import ProfilingModel
from parcours.profiling.scores import active_model


class Command(BaseCommand):
    help = "Profiling on the platform's episodes: train and store a model, score open episodes, activate."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train-platform", help="fit on the platform's episodes and store the model")
        train.add_argument("--activate", action="store_true", help="make the new model the active one")
        train.add_argument("--json", action="store_true", help="print one JSON document")
        score = sub.add_parser("score-all", help="score every open episode with the active model")
        score.add_argument("--chunk-size", type=int, default=500)
        score.add_argument("--json", action="store_true", help="print one JSON document")
        activate = sub.add_parser("activate", help="activate a stored model")
        activate.add_argument("version")
        activate.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        result = getattr(self, "_" + options["action"].replace("-", "_"))(options)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))

    def _train_platform(self, options) -> dict:
        model = actions.train_platform_model(by=None, activate=options["activate"])
        if model is None:
            return {
                "trained": False,
                "reason": f"fewer than {actions.min_episodes()} episodes with a known outcome",
            }
        return {
            "trained": True,
            "version": model.version,
            "algorithm": model.algorithm,
            "n_rows": model.n_rows,
            "auc": model.metrics.get("auc"),
            "active": model.is_active,
        }

    def _score_all(self, options) -> dict:
        model = active_model()
        if model is None:
            raise CommandError(
                "no active profiling model: run `parcours profiling_platform train-platform --activate`"
            )
        size = max(1, options["chunk_size"])
        ids = SupportEpisode.objects.open().order_by("pk").values_list("pk", flat=True)
        total = scored = 0
        chunk: list[int] = []
        for pk in ids.iterator(chunk_size=size):
            chunk.append(pk)
            if len(chunk) >= size:
                scored += len(actions.score_episodes(chunk, model=model))
                total += len(chunk)
                chunk = []
        if chunk:
            scored += len(actions.score_episodes(chunk, model=model))
            total += len(chunk)
        return {"model": model.version, "episodes": total, "scores": scored}

    def _activate(self, options) -> dict:
        model = ProfilingModel.objects.defer("artefact").filter(version=options["version"]).first()
        if model is None:
            raise CommandError(f"unknown model version '{options['version']}'", returncode=2)
        actions.activate_model(model, by=None)
        return {"active": model.version}
