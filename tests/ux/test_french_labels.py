"""Codes are shown through their labels where counselors decide: orientation facts and
profiling factors."""

from html import unescape

from django.urls import reverse

from tests.diagnosis.factories import BarrierFactory, DiagnosisFactory
from tests.profiling.factories import ScoreFactory


def test_orientation_facts_are_written_with_labels(client, counselor, episode):
    episode.person.digital_autonomy = "partial"
    episode.person.save()
    diagnosis = DiagnosisFactory(episode=episode, completed=True, digital_autonomy="")
    BarrierFactory(diagnosis=diagnosis, kind="administrative")
    BarrierFactory(diagnosis=diagnosis, kind="family")
    ScoreFactory(episode=episode, band="low")
    client.force_login(counselor)

    page = unescape(client.get(reverse("diagnosis:orientation", args=[episode.public_id])).content.decode())

    assert "Freins : 2 (Démarches administratives / droits, Famille / garde d'enfants)</li>" in page
    assert "Autonomie numérique : Autonomie partielle</li>" in page
    assert "Tranche du score de profilage : Faible</li>" in page
    for code in ("administrative, family", ": partial", ": low"):
        assert code not in page


def test_profiling_factors_show_the_labels_of_coded_values(client, counselor, episode):
    ScoreFactory(
        episode=episode,
        top_factors=[
            {
                "feature": "status",
                "value": "job_seeker",
                "contribution": 0.3,
                "text": "Situation : job_seeker",
            },
            {"feature": "intensity_start", "value": "global", "contribution": -0.2, "text": "x : global"},
            {"feature": "digital_autonomy", "value": "none", "contribution": 0.1, "text": "x : none"},
            {"feature": "minimum_income", "value": 1, "contribution": 0.1, "text": "x : 1"},
            {
                "feature": "age",
                "value": 52,
                "contribution": 0.4,
                "text": "Âge au-dessus de la moyenne (52) (+0.40)",
            },
        ],
    )
    client.force_login(counselor)

    page = unescape(client.get(reverse("profiling:episode_score", args=[episode.public_id])).content.decode())

    assert "<li>Situation : Demandeur·se d'emploi — augmente le risque estimé</li>" in page
    assert "<li>Intensité à l'entrée : Global — diminue le risque estimé</li>" in page
    assert "<li>Autonomie numérique : Besoin d'accompagnement numérique — augmente" in page
    assert "<li>Bénéficiaire du RSA : oui — augmente" in page
    assert "Âge au-dessus de la moyenne (52)" in page
    for code in ("job_seeker", ": global", ": none"):
        assert code not in page
