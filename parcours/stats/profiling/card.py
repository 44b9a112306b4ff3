"""Model card of a fitted :class:`~parcours.stats.profiling.models.ProfilingModel`, as a dict and as HTML.

The card follows Mitchell et al. (2019): intended use, data, outcome, features, metrics of both
candidate models, fairness audit, limits, and which model was chosen and why.

References
----------
Mitchell, M. et al. (2019). Model cards for model reporting. FAT* '19, 220-229.
"""

from __future__ import annotations

import html
import json
import math
from importlib import metadata

INTENDED_USE = {
    "fr": (
        "Aide à la décision : la décision appartient au conseiller. Le score estime un risque de "
        "chômage de longue durée pour aider à repérer les personnes qui pourraient bénéficier d'un "
        "accompagnement plus intensif ; il s'affiche avec ses principaux facteurs et le conseiller "
        "peut toujours s'en écarter en motivant son choix."
    ),
    "en": (
        "Decision support: the decision belongs to the counselor. The score estimates a risk of "
        "long-term unemployment to help spot people who may benefit from more intensive support; it is "
        "shown with its main factors and the counselor can always override it, giving a reason."
    ),
}
NOT_INTENDED_FOR = {
    "fr": [
        "Décider automatiquement d'une orientation, d'une sanction, d'un droit ou d'une prestation.",
        "Juger une personne : le score décrit des régularités statistiques passées, pas un individu.",
        "S'appliquer à une population ou une période différente de celle des données sans nouvelle évaluation.",
    ],
    "en": [
        "Deciding automatically on an orientation, a sanction, an entitlement or a benefit.",
        "Judging a person: the score describes past statistical regularities, not an individual.",
        "Use on a population or period unlike the training data without a new evaluation.",
    ],
}
LIMITS = {
    "fr": [
        "Les associations apprises ne sont pas causales : un facteur qui augmente le risque n'est pas "
        "forcément un levier d'action.",
        "Le modèle reproduit les biais des décisions et des parcours passés présents dans les données.",
        "Les petits groupes (signalés) ont des estimations trop imprécises pour conclure.",
        "Les probabilités sont calibrées sur la période d'évaluation ; elles dérivent si le marché du "
        "travail change : ré-évaluer régulièrement.",
        "Les explications décomposent le score non calibré (échelle logit) ; elles ne disent pas ce "
        "qui arriverait si une caractéristique changeait.",
    ],
    "en": [
        "Learned associations are not causal: a factor that raises the risk is not necessarily a lever.",
        "The model reproduces biases of past decisions and trajectories present in the data.",
        "Small groups (flagged) have estimates too imprecise to conclude.",
        "Probabilities are calibrated on the evaluation period and drift when the labour market "
        "changes: re-evaluate regularly.",
        "Explanations decompose the uncalibrated score (logit scale); they do not say what would happen "
        "if a characteristic changed.",
    ],
}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def _clean(value):
    """JSON-safe copy: numpy scalars to Python, nan/inf to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist"):
        return _clean(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_ready(value) -> object:
    """Public alias of the JSON cleaner (numpy -> Python, nan -> null)."""
    return _clean(value)


def build_model_card(model, *, language: str = "fr") -> dict[str, object]:
    """Model card of a fitted ProfilingModel as a JSON-ready dict.

    Parameters
    ----------
    model : ProfilingModel
        A fitted model.
    language : {"fr", "en"}
        Language of the free-text sections (intended use, limits).
    """
    from parcours.stats.profiling.preprocessing import _Categorical

    encoder = model.encoder_
    features = []
    for spec in encoder.specs_:
        entry: dict[str, object] = {"name": spec.name}
        if isinstance(spec, _Categorical):
            entry.update(kind="categorical", levels=spec.levels)
        else:
            entry.update(kind="numeric", imputed_with=spec.fill, missing_indicator=spec.has_indicator)
        features.append(entry)
    coefficients = {column: float(c) for column, c in zip(encoder.columns_, model.coef_, strict=True)}
    card = {
        "schema": 1,
        "name": "Profilage statistique : risque de chômage de longue durée",
        "version": model.version,
        "created_at": model.fitted_at_,
        "software": {
            "parcours": _version("parcours"),
            "scikit-learn": _version("scikit-learn"),
            "lightgbm": _version("lightgbm"),
            "fairlearn": _version("fairlearn"),
        },
        "intended_use": INTENDED_USE[language],
        "not_intended_for": NOT_INTENDED_FOR[language],
        "data": {**model.data_info_, "evaluation": model.evaluation_design_},
        "outcome": {
            "target": model.target_,
            "positive_value": model.positive_,
            "definition": model.outcome_definition or f"{model.target_} = {model.positive_!r}",
        },
        "features": features,
        "group_columns": model.groups_,
        "chosen_model": model.chosen_,
        "why": model.adoption_["reason"],
        "adoption": model.adoption_,
        "metrics": model.metrics_,
        "fairness": model.fairness_.to_dict(),
        "logistic": {
            "intercept": model.intercept_,
            "coefficients_per_standard_deviation": coefficients,
            "C": model.C,
        },
        "explanations": (
            "logistic: coefficient x standardised value per feature, summing exactly to the logit; "
            "lightgbm: exact TreeSHAP contributions (pred_contrib)"
        ),
        "limits": LIMITS[language],
    }
    return _clean(card)


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return html.escape(str(value))


def _ci(pair) -> str:
    if not pair or pair[0] is None:
        return ""
    return f" [{_fmt(pair[0])}, {_fmt(pair[1])}]"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def model_card_html(card: dict[str, object]) -> str:
    """Self-contained HTML page (inline CSS, no script, no external resource) of a model card."""
    e = html.escape
    data = card["data"]
    metrics_rows = []
    for name, m in card["metrics"].items():
        chosen = " (retenu)" if name == card["chosen_model"] else ""
        metrics_rows.append(
            [
                e(name) + chosen,
                _fmt(m["auc"]) + _ci(m["auc_ci"]),
                _fmt(m["brier"], 4) + _ci(m["brier_ci"]),
                _fmt(m["calibration_slope"]) + _ci(m["calibration_slope_ci"]),
                _fmt(m["calibration_intercept"]),
                e(m["calibration_method"]),
            ]
        )
    fairness_html = []
    for column, audit in card["fairness"]["groups"].items():
        rows = []
        for level, r in audit["levels"].items():
            rows.append(
                [
                    e(level) + (" ⚠ petit groupe" if r["small"] else ""),
                    str(r["n"]),
                    _fmt(r["selection_rate"]) + _ci(r["selection_rate_ci"]),
                    _fmt(r["tpr"]) + _ci(r["tpr_ci"]),
                    _fmt(r["fpr"]) + _ci(r["fpr_ci"]),
                    _fmt(r["auc"]),
                    f"{_fmt(r['mean_predicted'])} / {_fmt(r['observed'])}",
                ]
            )
        eod = audit["equal_opportunity_difference"]
        fairness_html.append(
            f"<h3>{e(column)}</h3>"
            + _table(
                ["Niveau", "n", "Taux de sélection", "TPR", "FPR", "AUC", "Risque prédit / observé"], rows
            )
            + f"<p>Écart d'égalité des chances (max − min TPR) : {_fmt(eod['estimate'])}{_ci(eod['ci'])}</p>"
        )
    features = ", ".join(e(f["name"]) + f" <small>({e(f['kind'])})</small>" for f in card["features"])
    period = data.get("period")
    period_text = f"{e(period[0])} – {e(period[1])}" if period else "non daté"
    lists = {
        key: "".join(f"<li>{e(item)}</li>" for item in card[key]) for key in ("not_intended_for", "limits")
    }
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "color:#1e1e1e;line-height:1.45}table{border-collapse:collapse;margin:.5rem 0 1rem}"
        "th,td{border:1px solid #888;padding:.25rem .5rem;text-align:left}th{background:#eef}"
        ".note{background:#fff6d6;border-left:4px solid #b58900;padding:.5rem 1rem}"
    )
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{e(card["name"])} — v{e(card["version"])}</title>
<style>{style}</style></head><body>
<h1>{e(card["name"])}</h1>
<p>Version {e(card["version"])} · créé le {e(card["created_at"])} · modèle retenu : <strong>{e(card["chosen_model"])}</strong></p>
<h2>Usage prévu</h2><p class="note">{e(card["intended_use"])}</p>
<h2>Usages exclus</h2><ul>{lists["not_intended_for"]}</ul>
<h2>Données</h2>
<p>Source : {e(data.get("source") or "non précisée")} · {data["n_rows"]} lignes
({data["n_rows_dropped_missing_target"]} écartées faute de résultat connu) · période : {period_text}
· empreinte {e(data["data_hash"])}</p>
<p>Évaluation : {e(data["evaluation"]["design"])}, {data["evaluation"]["n_evaluated"]} lignes évaluées
hors échantillon.</p>
<h2>Résultat prédit</h2><p>{e(card["outcome"]["definition"])} (taux observé {_fmt(data["prevalence"])})</p>
<h2>Caractéristiques utilisées</h2><p>{features}</p>
<p>Attributs protégés audités (non utilisés comme prédicteurs sauf mention) : {e(", ".join(card["group_columns"]) or "aucun")}</p>
<h2>Performances (hors échantillon, probabilités calibrées)</h2>
{_table(["Modèle", "AUC", "Brier", "Pente de calibration", "Ordonnée", "Calibration"], metrics_rows)}
<h2>Choix du modèle</h2><p>{e(card["adoption"]["rule"])}.</p><p><strong>{e(card["why"])}</strong></p>
<h2>Équité</h2>
<p>Seuil de décision : {_fmt(card["fairness"]["threshold"], 4)} ({e(card["fairness"]["threshold_rule"])});
intervalles de confiance bootstrap à {_fmt(card["fairness"]["confidence_level"] * 100, 0)} %.</p>
{"".join(fairness_html) or "<p>Aucun attribut protégé fourni.</p>"}
<h2>Limites</h2><ul>{lists["limits"]}</ul>
<h2>Données brutes de la fiche</h2>
<details><summary>JSON</summary><pre>{e(json.dumps(card, ensure_ascii=False, indent=1))}</pre></details>
</body></html>
"""
