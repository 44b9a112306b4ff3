"""``parcours profiling <verb>``: statistical profiling, on a CSV file or on the platform's data.

On any CSV file (the science core :mod:`parcours.stats.profiling.cli`, Django-free):

- ``train --data FILE.csv --target COL --out MODEL_DIR``: fit, compare, audit and save a model;
- ``evaluate --data FILE.csv --target COL``: fit and print held-out metrics.

On the platform's own episodes:

- ``train-platform [--activate] [--json]``: fit a model on the episodes whose outcome is known and
  store it in the registry (exit 0 with a message when there are too few episodes);
- ``score-all [--chunk-size N]``: score every open episode with the active model, in chunks;
- ``activate VERSION``: make a stored model the active one.
"""

from parcours.cases.models import SupportEpisode
from parcours.cli import AreaCommand, BadInput
from parcours.profiling import actions
from parcours.profiling.models import ProfilingModel
from parcours.profiling.scores import active_model
from parcours.stats.profiling import cli

PLATFORM_VERBS = ("train-platform", "score-all", "activate")


class Command(AreaCommand):
    help = (
        "Statistical profiling (decision support): train or evaluate a model on a CSV file; "
        "train, activate and score on the platform's episodes."
    )

    def add_verbs(self):
        # the science core's parsers declare their own --json
        cli.add_train_arguments(self.verb("train", "fit, compare, audit and save to --out"))
        cli.add_evaluate_arguments(self.verb("evaluate", "fit and print held-out metrics"))
        train = self.verb("train-platform", "fit on the platform's episodes and store the model", json=True)
        train.add_argument("--activate", action="store_true", help="make the new model the active one")
        score = self.verb(
            "score-all", "score every open episode with the active model", json=True, progress=True
        )
        score.add_argument("--chunk-size", type=int, default=500)
        activate = self.verb("activate", "activate a stored model", json=True)
        activate.add_argument("version")

    def _science(self, run, options):
        remove_log = cli.log_to_stderr() if options.get("verbosity", 1) >= 1 else (lambda: None)
        try:
            result = run(options)
        finally:
            remove_log()
        self.stdout.write(cli.dumps(result) if options["json"] else cli.human_summary(result))

    def verb_train(self, options):
        self._science(cli.run_train, options)

    def verb_evaluate(self, options):
        self._science(cli.run_evaluate, options)

    def verb_train_platform(self, options) -> dict:
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

    def verb_score_all(self, options) -> dict:
        model = active_model()
        if model is None:
            raise BadInput("no active profiling model: run `parcours profiling train-platform --activate`")
        if options["chunk_size"] < 1:
            raise BadInput(f"--chunk-size must be >= 1, got {options['chunk_size']}")
        size = options["chunk_size"]
        episodes = SupportEpisode.objects.open()
        total = scored = 0
        chunk: list[int] = []
        with self.progress(total=episodes.count(), desc="score-all", unit="episodes") as bar:
            for pk in episodes.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=size):
                chunk.append(pk)
                if len(chunk) >= size:
                    scored += len(actions.score_episodes(chunk, model=model))
                    total += len(chunk)
                    bar.update(len(chunk))
                    chunk = []
            if chunk:
                scored += len(actions.score_episodes(chunk, model=model))
                total += len(chunk)
                bar.update(len(chunk))
        return {"model": model.version, "episodes": total, "scores": scored}

    def verb_activate(self, options) -> dict:
        model = ProfilingModel.objects.defer("artefact").filter(version=options["version"]).first()
        if model is None:
            raise BadInput(f"unknown model version '{options['version']}'")
        actions.activate_model(model, by=None)
        return {"active": model.version}
