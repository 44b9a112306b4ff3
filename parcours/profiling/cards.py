"""The model card in French for the pages (issue 11): every feature, group and coded value through
its label, and the science core's summaries (evaluation design, adoption rule, calibration, decision
threshold) written again from their structured fields, so that the card page never shows a raw
feature name or an English sentence. The stored card (JSON) and its standalone HTML stay as the core
wrote them (CLI, API, audit)."""

import re

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from parcours.people.models import Sex
from parcours.profiling.dataset import LABELS, value_labels


def model_names() -> dict[str, str]:
    return {"logistic": _("Régression logistique"), "lightgbm": _("LightGBM (arbres de décision boostés)")}


def calibration_names() -> dict[str, str]:
    return {"sigmoid": _("sigmoïde (Platt)"), "isotonic": _("isotonique")}


def group_labels() -> dict[str, tuple[str, dict]]:
    """Audited groups: (label of the column, labels of its values)."""
    return {"sex": (_("Sexe"), dict(Sex.choices))}


def feature_label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def _number(value, digits: int = 3) -> str:
    """A figure as text in the page's language (0,712 in French): never used inside SVG or data."""
    return "–" if value is None else number_format(value, digits)


def _interval(pair, digits: int = 3) -> str:
    if not pair or pair[0] is None:
        return ""
    return f"[{_number(pair[0], digits)} ; {_number(pair[1], digits)}]"


def features(card: dict) -> list[dict]:
    coded = value_labels()
    rows = []
    for feature in card.get("features") or []:
        name = feature.get("name", "")
        labels = coded.get(name, {})
        categorical = feature.get("kind") == "categorical"
        rows.append(
            {
                "label": feature_label(name),
                "kind": _("catégorielle") if categorical else _("numérique"),
                "levels": [str(labels.get(level, level)) for level in feature.get("levels") or []],
            }
        )
    return rows


def evaluation_text(evaluation: dict) -> str:
    design = evaluation.get("design", "")
    n = evaluation.get("n_evaluated")
    if design.startswith("temporal"):
        train, test = (
            evaluation.get("train_period") or ["?", "?"],
            evaluation.get("test_period") or ["?", "?"],
        )
        return _(
            "découpage temporel : apprentissage du %(train_from)s au %(train_to)s, évaluation sur les "
            "%(n)s accompagnements suivants (du %(test_from)s au %(test_to)s)"
        ) % {"train_from": train[0], "train_to": train[1], "test_from": test[0], "test_to": test[1], "n": n}
    folds = re.search(r"(\d+)-fold", design)
    if folds:
        return _(
            "validation croisée stratifiée en %(k)s blocs : chacun des %(n)s accompagnements est prédit "
            "par un modèle qui ne l'a pas vu"
        ) % {"k": folds.group(1), "n": n}
    return _("évaluation sur %(n)s accompagnements non vus à l'apprentissage") % {"n": n}


def adoption_texts(adoption: dict, chosen: str) -> dict[str, str]:
    names = model_names()
    gain = adoption.get("min_auc_gain")
    if gain is None:  # cards stored before the threshold had its own field
        found = re.search(r"more than ([0-9.]+)", adoption.get("rule", ""))
        gain = float(found.group(1)) if found else None
    rule = _(
        "LightGBM ne remplace la régression logistique que si son AUC hors échantillon la dépasse de plus "
        "de %(gain)s et si la borne basse de l'intervalle de confiance à 95 %% de l'écart (bootstrap "
        "apparié) est positive."
    ) % {"gain": _number(gain)}
    measured = {
        "gain": _number(adoption.get("auc_gain"), 4),
        "interval": _interval(adoption.get("auc_gain_ci"), 4),
    }
    if adoption.get("forced"):
        reason = _("%(model)s imposé par l'analyste (écart d'AUC mesuré : %(gain)s %(interval)s).") % {
            "model": names.get(adoption["forced"], adoption["forced"]),
            **measured,
        }
    elif adoption.get("rule_met"):
        reason = _("LightGBM retenu : écart d'AUC %(gain)s %(interval)s.") % measured
    else:
        reason = (
            _(
                "Régression logistique conservée : l'écart d'AUC de LightGBM, %(gain)s %(interval)s, ne remplit "
                "pas la règle."
            )
            % measured
        )
    return {"rule": rule, "reason": reason, "chosen": names.get(chosen, chosen)}


def threshold_text(fairness: dict) -> str:
    rule = fairness.get("threshold_rule", "")
    top = re.match(r"top (\d+)%", rule)
    if top:
        return _("les %(share)s %% de risque prédit les plus élevés") % {"share": top.group(1)}
    fixed = re.match(r"p >= ([0-9.]+)", rule)
    if fixed:
        return _("probabilité prédite d'au moins %(p)s") % {"p": _number(float(fixed.group(1)))}
    return rule


def metrics(card: dict) -> list[dict]:
    names, calibrations = model_names(), calibration_names()
    rows = []
    for name, m in (card.get("metrics") or {}).items():
        rows.append(
            {
                "model": names.get(name, name),
                "chosen": name == card.get("chosen_model"),
                "auc": _number(m.get("auc")),
                "auc_ci": _interval(m.get("auc_ci")),
                "brier": _number(m.get("brier"), 4),
                "brier_ci": _interval(m.get("brier_ci"), 4),
                "slope": _number(m.get("calibration_slope")),
                "slope_ci": _interval(m.get("calibration_slope_ci")),
                "intercept": _number(m.get("calibration_intercept")),
                "calibration": calibrations.get(m.get("calibration_method"), m.get("calibration_method", "")),
            }
        )
    return rows


def fairness(card: dict) -> list[dict]:
    labels = group_labels()
    tables = []
    for column, audit in ((card.get("fairness") or {}).get("groups") or {}).items():
        column_label, values = labels.get(column, (feature_label(column), {}))
        levels = [
            {
                "label": str(values.get(level, level)),
                "small": r.get("small"),
                "n": r.get("n"),
                "selection_rate": _number(r.get("selection_rate")),
                "selection_rate_ci": _interval(r.get("selection_rate_ci")),
                "tpr": _number(r.get("tpr")),
                "tpr_ci": _interval(r.get("tpr_ci")),
                "fpr": _number(r.get("fpr")),
                "fpr_ci": _interval(r.get("fpr_ci")),
                "auc": _number(r.get("auc")),
                "predicted": _number(r.get("mean_predicted")),
                "observed": _number(r.get("observed")),
            }
            for level, r in (audit.get("levels") or {}).items()
        ]
        eod = audit.get("equal_opportunity_difference") or {}
        tables.append(
            {
                "label": column_label,
                "levels": levels,
                "eod": _number(eod.get("estimate")),
                "eod_ci": _interval(eod.get("ci")),
            }
        )
    return tables


def present(card: dict) -> dict:
    """Everything the card pages show, in words."""
    data = card.get("data") or {}
    fairness_data = card.get("fairness") or {}
    return {
        "features": features(card),
        "groups": [group_labels().get(c, (feature_label(c), {}))[0] for c in card.get("group_columns") or []],
        "evaluation": evaluation_text(data.get("evaluation") or {}),
        "adoption": adoption_texts(card.get("adoption") or {}, card.get("chosen_model", "")),
        "metrics": metrics(card),
        "fairness": fairness(card),
        "threshold": _number(fairness_data.get("threshold"), 4),
        "threshold_rule": threshold_text(fairness_data),
        "confidence": round((fairness_data.get("confidence_level") or 0.95) * 100),
        "data": data,
    }
