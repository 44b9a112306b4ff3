"""Save and load a fitted profiling model as a directory (MODEL_DIR).

Layout::

    MODEL_DIR/model.joblib       the fitted ProfilingModel (joblib pickle: load only trusted directories)
    MODEL_DIR/model_card.json    the model card (JSON)
    MODEL_DIR/model_card.html    the same card as a self-contained HTML page
    MODEL_DIR/metrics.json       the held-out evaluation report
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib

from parcours.stats.errors import BadInputError
from parcours.stats.profiling.card import build_model_card, json_ready, model_card_html

MODEL_FILE = "model.joblib"
CARD_JSON = "model_card.json"
CARD_HTML = "model_card.html"
METRICS_JSON = "metrics.json"


def save_model(model, directory: str | Path, *, language: str = "fr") -> Path:
    """Write a fitted model and its card to ``directory`` (created if needed); returns the path."""
    if not hasattr(model, "encoder_"):
        raise BadInputError("cannot save a profiling model that is not fitted")
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise BadInputError(f"output '{path}' exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path / MODEL_FILE, compress=3)
    card = build_model_card(model, language=language)
    (path / CARD_JSON).write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
    (path / CARD_HTML).write_text(model_card_html(card), encoding="utf-8")
    report = json_ready(model.evaluation_report())
    (path / METRICS_JSON).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def load_model(directory: str | Path):
    """Load the ProfilingModel saved by :func:`save_model` (a trusted directory only: it unpickles)."""
    from parcours.stats.profiling.models import ProfilingModel

    path = Path(directory) / MODEL_FILE
    if not path.is_file():
        raise BadInputError(f"no saved model in '{directory}' (missing {MODEL_FILE})")
    model = joblib.load(path)
    if not isinstance(model, ProfilingModel):
        raise BadInputError(f"'{path}' does not hold a ProfilingModel")
    return model
