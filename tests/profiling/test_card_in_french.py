"""The model card pages and the monitoring page speak French (issue 11, problem 6): every feature
and coded value through its label, the science core's English summaries rewritten, in the site's
layout (header and navigation)."""

from html import unescape

from django.urls import reverse

RAW_NAMES = [
    "barriers_total",
    "barriers_housing",
    "job_seeker",
    "intensity_start",
    "organisation_kind",
    "prior_episodes",
    "minimum_income",
    "priority_area",
    "digital_autonomy",
]
ENGLISH = [
    "temporal split",
    "cross-validation",
    "logistic kept",
    "LightGBM adopted",
    "LightGBM is adopted",
    "does not meet",
    "of predicted risk",
    "sigmoid",
    "isotonic",
    "imposed by",
]


def _page(client, name, **kwargs) -> str:
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_full_model_card_is_in_french_inside_the_site_layout(client, trained_model):
    page = _page(client, "profiling:model_card_full", version=trained_model.version)

    assert '<header class="site-header">' in page
    assert '<html lang="fr">' in page
    assert '<th scope="row">Nombre de freins périphériques</th>' in page
    assert '<th scope="row">Situation</th><td>catégorielle</td><td>Demandeur·se d\'emploi' in page
    assert "Intensité à l'entrée" in page
    assert "découpage temporel : apprentissage du " in page
    assert (
        "LightGBM ne remplace la régression logistique que si son AUC hors échantillon la dépasse de plus de 0,010"
        in page
    )
    assert "Équité selon : Sexe" in page
    assert "de risque prédit les plus élevés" in page
    assert "<style>" not in page and " style=" not in page
    for raw in RAW_NAMES + ENGLISH:
        assert raw not in page, raw


def test_public_model_card_shows_labels_and_a_french_adoption_reason(client, trained_model):
    page = _page(client, "profiling:model_card_public", version=trained_model.version)

    assert '<header class="site-header">' in page
    assert '<th scope="row">Accompagnements antérieurs</th>' in page
    assert "Régression logistique conservée" in page or "LightGBM retenu" in page
    for raw in RAW_NAMES + ENGLISH:
        assert raw not in page, raw


def test_monitoring_page_is_in_french(client, trained_model, analyst):
    client.force_login(analyst)

    page = _page(client, "profiling:monitoring")

    assert "<h1>Suivi du profilage statistique</h1>" in page
    for raw in RAW_NAMES + ENGLISH + ["logistic", "lightgbm"]:
        assert raw not in page, raw
