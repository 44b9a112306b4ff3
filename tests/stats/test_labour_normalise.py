"""Job-title normaliser, held-out evaluation helpers and skills -> occupations coverage."""

import json
import os
from pathlib import Path

import joblib
import numpy as np
import pytest

from parcours.stats.errors import BadInputError
from parcours.stats.labour.esco import read_esco_occupations
from parcours.stats.labour.evaluate import (
    accuracy_at_k,
    add_noise,
    evaluate_rome,
    main,
    mean_reciprocal_rank,
    ranking_metrics,
    split_job_titles,
)
from parcours.stats.labour.normalise import (
    BaselineCharTfidf,
    JobTitleNormaliser,
    _tfidf_rows,
    basic_clean,
    clean_tokens,
    fold_gender,
)
from parcours.stats.labour.rome import Item, ItemLink, MobilityLink, read_rome
from parcours.stats.labour.skills import (
    fit_skill_normaliser,
    match_skills,
    neighbours,
    occupation_coverage,
    split_skill_text,
    suggest_occupations,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "parcours" / "labour" / "fixtures" / "rome_sample"
ESCO_SAMPLE = ROOT / "parcours" / "labour" / "fixtures" / "esco_sample"
# No default: .ci/run and `make bench` pass ROME_DATA_DIR=../shared/data/rome4 explicitly.
ROME_DATA_DIR = Path(os.environ.get("ROME_DATA_DIR") or "/nonexistent/ROME_DATA_DIR-unset")
needs_official = pytest.mark.skipif(
    not (ROME_DATA_DIR / "unix_referentiel_code_rome_v460_utf8.csv").is_file(),
    reason=f"official ROME 4.0 files not found (ROME_DATA_DIR={os.environ.get('ROME_DATA_DIR', '')!r})",
)


def _fit(referential):
    labels, codes = referential.label_pairs()
    code_labels = {c: o.label for c, o in referential.occupations.items()}
    return JobTitleNormaliser().fit(labels, codes, code_labels, referential.code_texts())


@pytest.fixture(scope="module")
def sample():
    return read_rome(SAMPLE)


@pytest.fixture(scope="module")
def normaliser(sample):
    return _fit(sample)


@pytest.fixture(scope="module")
def official():
    return read_rome(ROME_DATA_DIR)


@pytest.fixture(scope="module")
def official_normaliser(official):
    return _fit(official)


# --------------------------------------------------------------------------- cleaning


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("conductrice", "conducteur"),
        ("vendeuse", "vendeur"),
        ("cuisiniere", "cuisinier"),
        ("electricienne", "electricien"),
        ("administrative", "administratif"),
        ("assistante", "assistant"),
        ("employee", "employe"),
        ("maconne", "macon"),
        ("cheffe", "chef"),
        ("lourds", "lourd"),
        ("agent", "agent"),
    ],
)
def test_fold_gender_maps_feminine_and_plural_endings(word, folded):
    assert fold_gender(word) == folded


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("Agent / Agente d'entretien (H/F) - CDI temps plein", "agent d entretien"),
        ("Vendeur H/F URGENT 1 800 € brut/mois", "vendeur"),
        ("aide-soignant/aide-soignante", "aide soignant"),
        ("Homme / Femme de plancher", "homme femme de plancher"),
        ("Assistant(e) maternel(le)", "assistant maternel"),
        ("Comptable F/H CDD 35h", "comptable"),
    ],
)
def test_basic_clean_drops_gender_marks_and_job_ad_noise(text, cleaned):
    assert basic_clean(text) == cleaned


def test_clean_tokens_expands_abbreviations_and_drops_stop_words():
    assert clean_tokens("Dev web") == ["developpeur", "web"]
    assert clean_tokens("assistante admin") == ["assistant", "administratif"]
    assert clean_tokens("aux de puériculture") == ["auxiliaire", "puericulture"]
    assert clean_tokens("chauffeur PL") == ["chauffeur", "poid", "lourd"]
    # official labels keep words that are noise in job ads
    assert clean_tokens("Chargé / Chargée de recherche", noise=False) == ["charge", "recherche"]


# --------------------------------------------------------------------------- normaliser on the sample


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aide soignante", {"J1501"}),
        ("Aide-soignante de nuit H/F", {"J1501"}),
        ("dev web", {"M1855"}),
        ("développeuse informatique", {"M1805"}),
        ("assistante admin", {"M1602", "M1607"}),
        ("agent d'entretien H/F CDI", {"K2204", "K2205"}),
        ("cuisiner", {"G1609"}),
        ("cusinier", {"G1609"}),
        ("electricien", {"F1602"}),
        ("serveuse", {"G1803"}),
        ("chauffeur PL", {"N4101"}),
        ("nounou", {"K1303"}),
        ("préparatrice de commandes URGENT", {"N1103"}),
        ("maconne", {"F1703"}),
        ("comptable H/F 2000€ brut", {"M1203"}),
        ("agent de securite", {"K2503"}),
        ("coiffeuse a domicile", {"D1202"}),
        ("ASH", {"J1301"}),
        ("aux puer", {"J1304"}),
        ("caces cariste", {"N1101"}),
        ("vendeuse pret a porter", {"D1214"}),
    ],
)
def test_typed_job_titles_find_their_fiche_in_the_sample(normaliser, text, expected):
    best = normaliser.query(text, top=3)
    assert best[0].code in expected, (text, best)


def test_scores_are_in_unit_interval_and_sorted(normaliser):
    for text in ("aide soignante", "zzz qqq", "dev", "agent"):
        matches = normaliser.query(text, top=5)
        scores = [m.score for m in matches]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)
        assert len({m.code for m in matches}) == len(matches)


def test_exact_fiche_label_scores_higher_than_a_typo(normaliser):
    exact = normaliser.query("Aide-soignant / Aide-soignante", top=1)[0]
    typo = normaliser.query("aide soignatne", top=1)[0]
    assert exact.code == typo.code == "J1501"
    assert exact.label == "Aide-soignant / Aide-soignante"
    assert exact.score > typo.score


def test_noise_only_or_empty_text_returns_nothing(normaliser):
    assert normaliser.query("") == []
    assert normaliser.query("H/F CDI urgent") == []


def test_batch_gives_the_same_results_as_single_queries(normaliser):
    texts = ["aide soignante", "dev web", "", "serveuse H/F", "electricien batiment", "cuisiner", "xyz"]
    batch = normaliser.query_batch(texts, top=4, chunk_size=3)
    assert batch == [normaliser.query(t, top=4) for t in texts]


def test_threaded_batch_gives_the_same_results(normaliser):
    texts = ["aide soignante", "dev web", "", "serveuse H/F", "electricien batiment", "cuisiner"] * 20
    assert normaliser.query_batch(texts, top=5, chunk_size=32, n_threads=2) == normaliser.query_batch(texts)


def _reference_ranking(model, text: str, top: int) -> list[tuple[str, float]]:
    """The scoring rule written plainly, one label at a time (every label is a candidate)."""
    from rapidfuzz import fuzz

    prepared = model.prepare(text)
    n_word = len(model.word_vectorizer_.vocabulary_)
    q = _tfidf_rows(
        [
            (model.word_vectorizer_, np.sqrt(model.word_weight), 0),
            (model.char_vectorizer_, np.sqrt(1 - model.word_weight), n_word),
        ],
        [prepared],
        model.index_t_.shape[0],
    )
    retrieval = (q @ model.index_t_).toarray()[0]
    q_doc = _tfidf_rows([(model.doc_vectorizer_, 1.0, 0)], [prepared], model.doc_index_t_.shape[0])
    docs = (q_doc @ model.doc_index_t_).toarray()[0]
    w = np.array([model.retrieval_weight, model.fuzzy_weight, model.coverage_weight, model.precision_weight])
    w = w / w.sum()
    q_words = set(prepared.split())
    best: dict[int, float] = {}
    for j, label in enumerate(model.labels_):
        if retrieval[j] <= 0:
            continue
        common = len(set(label.split()) & q_words)
        score = (
            w[0] * retrieval[j]
            + w[1] * fuzz.token_set_ratio(prepared, label) / 100
            + w[2] * common / max(len(q_words), 1)
            + w[3] * common / max(len(set(label.split())), 1)
        )
        code = int(model.label_codes_[j])
        best[code] = max(best.get(code, -1.0), score)
    final = {c: (1 - model.doc_weight) * s + model.doc_weight * docs[c] for c, s in best.items()}
    ranked = sorted(final.items(), key=lambda cs: (-cs[1], cs[0]))[:top]
    return [(model.codes_[c], round(min(max(s, 0.0), 1.0), 6)) for c, s in ranked]


def test_vectorised_ranking_equals_the_plain_rule(sample):
    labels, codes = sample.label_pairs()
    model = JobTitleNormaliser(n_candidates=100_000).fit(labels, codes, code_texts=sample.code_texts())
    texts = [
        "aide soignante",
        "dev web",
        "serveuse H/F",
        "electricien batiment",
        "agent d'entretien",
        "cuisiner",
    ]
    for text, got in zip(texts, model.query_batch(texts, top=6), strict=True):
        expected = _reference_ranking(model, text, 6)
        assert [m.code for m in got] == [c for c, _ in expected], text
        np.testing.assert_allclose([m.score for m in got], [s for _, s in expected], atol=2e-6)


def test_save_and_load_round_trip(normaliser, tmp_path):
    path = normaliser.save(tmp_path / "normaliser.joblib")
    loaded = JobTitleNormaliser.load(path)
    texts = ["aide soignante", "dev web", "agent d'entretien H/F CDI"]
    assert loaded.query_batch(texts) == normaliser.query_batch(texts)


def test_bad_use_raises_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="not fitted"):
        JobTitleNormaliser().query("x")
    with pytest.raises(BadInputError, match="differ in length"):
        JobTitleNormaliser().fit(["a", "b"], ["A1234"])
    with pytest.raises(BadInputError, match="no label"):
        JobTitleNormaliser().fit([], [])
    with pytest.raises(BadInputError, match="doc_weight"):
        JobTitleNormaliser(doc_weight=2.0).fit(["agent"], ["A1234"])
    other = tmp_path / "other.joblib"
    joblib.dump({"not": "a normaliser"}, other)
    with pytest.raises(BadInputError, match="does not hold"):
        JobTitleNormaliser.load(other)


def test_fast_tfidf_rows_equal_sklearn_transform(normaliser):
    texts = [normaliser.prepare(t) for t in ("aide soignante", "dev web", "zzz", "agent agent entretien", "")]
    word, char = normaliser.word_vectorizer_, normaliser.char_vectorizer_
    w = 0.4
    fast = _tfidf_rows(
        [(word, np.sqrt(w), 0), (char, np.sqrt(1 - w), len(word.vocabulary_))],
        texts,
        normaliser.index_t_.shape[0],
    )
    reference = np.hstack(
        [word.transform(texts).toarray() * np.sqrt(w), char.transform(texts).toarray() * np.sqrt(1 - w)]
    )
    np.testing.assert_allclose(fast.toarray(), reference, atol=1e-6)


def test_baseline_ranks_codes_by_best_label_cosine():
    base = BaselineCharTfidf().fit(
        ["Aide-soignant", "Aide à domicile", "Serveur"], ["J1501", "K1304", "G1803"]
    )
    [first, second, third] = base.query("aide-soignant", top=3)
    assert first.code == "J1501" and first.score == pytest.approx(1.0, abs=1e-6)
    assert second.code == "K1304" and 0 < second.score < first.score
    assert third.score == pytest.approx(0.0, abs=1e-6)


def test_normaliser_on_esco_labels_returns_uris():
    esco = read_esco_occupations(ESCO_SAMPLE / "occupations_fr.csv")
    labels, uris = esco.label_pairs()
    names = {o.uri: o.preferred_label for o in esco.occupations}
    model = JobTitleNormaliser().fit(labels, uris, names)
    assert model.query("nounou H/F")[0].label == "garde d'enfants"
    assert model.query("technicienne de surface")[0].label == "agent d'entretien/agente d'entretien"
    assert model.query("aide soignante EHPAD")[0].label == "aide-soignant/aide-soignante"
    assert model.query("chauffeur routier")[0].label.startswith("conducteur de poids lourd")


# --------------------------------------------------------------------------- full official set


@needs_official
@pytest.mark.parametrize(
    ("text", "expected", "within"),
    [
        ("aide soignante", "J1501", 1),
        ("AS EHPAD", "J1501", 1),
        ("dev web", "M1855", 1),
        ("assistante admin", "M1607", 3),
        ("agent d'entretien H/F CDI", "K2205", 1),
        ("cuisiner", "G1609", 1),
        ("electricien", "F1602", 3),
        ("électricienne bâtiment", "F1602", 1),
        ("chauffeur PL", "N4101", 1),
        ("femme de menage", "K1304", 1),
        ("nounou", "K1303", 1),
        ("caissiere", "D1505", 1),
        ("ASH", "J1301", 1),
        ("secretaire medicale", "M1609", 1),
        ("préparateur de commande urgent", "N1103", 1),
    ],
)
def test_typed_job_titles_on_the_full_official_set(official_normaliser, text, expected, within):
    codes = [m.code for m in official_normaliser.query(text, top=within)]
    assert expected in codes, (text, codes)


# --------------------------------------------------------------------------- evaluation helpers


def test_ranking_metrics_on_hand_made_rankings():
    rankings = [["a", "b", "c"], ["b", "a"], ["c", "d"], ["d", "e", "f", "g", "a"]]
    truths = ["a", "a", "x", "a"]
    assert accuracy_at_k(rankings, truths, 1) == pytest.approx(1 / 4)
    assert accuracy_at_k(rankings, truths, 2) == pytest.approx(2 / 4)
    assert accuracy_at_k(rankings, truths, 5) == pytest.approx(3 / 4)
    # 1/1 + 1/2 + 0 + 1/5
    assert mean_reciprocal_rank(rankings, truths) == pytest.approx((1 + 0.5 + 0 + 0.2) / 4, abs=1e-12)
    assert ranking_metrics(rankings, truths) == {
        "acc@1": 0.25,
        "acc@5": 0.75,
        "mrr": pytest.approx(0.425),
        "n": 4,
    }
    with pytest.raises(BadInputError, match="differ in length"):
        accuracy_at_k(rankings, truths[:2], 1)
    with pytest.raises(BadInputError, match="k must be"):
        accuracy_at_k(rankings, truths, 0)


def test_split_keeps_main_titles_and_one_synonym_per_code(sample):
    train, test = split_job_titles(sample.job_titles, test_size=0.2, random_state=3)
    assert len(train) + len(test) == len(sample.job_titles)
    assert not any(t.is_main for t in test)
    synonyms_left = {t.rome_code for t in train if not t.is_main}
    synonyms_all = {t.rome_code for t in sample.job_titles if not t.is_main}
    assert synonyms_left == synonyms_all
    n_syn = sum(not t.is_main for t in sample.job_titles)
    assert abs(len(test) / n_syn - 0.2) < 0.06
    again, _ = split_job_titles(sample.job_titles, test_size=0.2, random_state=3)
    assert [t.ogr_code for t in again] == [t.ogr_code for t in train]
    with pytest.raises(BadInputError, match="test_size"):
        split_job_titles(sample.job_titles, test_size=1.5)


def test_noise_model_is_seeded_and_changes_the_text():
    label = "Développeur / Développeuse informatique"
    first = [add_noise(label, np.random.default_rng(7)) for _ in range(3)]
    assert len(set(first)) == 1
    variants = {add_noise(label, np.random.default_rng(seed)) for seed in range(40)}
    assert len(variants) > 20
    assert label not in variants
    clean = add_noise(
        label, np.random.default_rng(1), p_lower=0, p_accents=0, p_abbreviation=0, p_typo=0, p_extra=0
    )
    assert clean in {"Développeur informatique", "Développeuse informatique"}


def test_evaluation_runs_on_the_sample_and_cli_prints_json(sample, capsys):
    result = evaluate_rome(sample, test_size=0.2, random_state=0, n_resamples=200)
    assert set(result.metrics) == {"baseline", "lexical", "semantic"}
    for method, by_set in result.metrics.items():
        assert set(by_set) == {"clean", "noisy"}
        for name, m in by_set.items():
            assert 0 <= m["acc@1"] <= m["acc@5"] <= 1
            assert m["n"] == result.n_test
            box = result.intervals[method][name]
            assert box["acc@1"]["value"] == m["acc@1"]
            assert box["acc@1"]["low"] <= m["acc@1"] <= box["acc@1"]["high"]
            assert ("diff_acc@1" in box) == (method != "baseline")
    assert "acc@1" in result.summary()
    assert main(["--rome-dir", str(SAMPLE), "--seed", "0", "--resamples", "200", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["rome"]["metrics"] == result.metrics
    assert main(["--rome-dir", str(SAMPLE / "missing")]) == 2


@needs_official
@pytest.mark.slow
def test_normaliser_beats_the_char_tfidf_baseline_on_held_out_official_titles(official):
    result = evaluate_rome(official, test_size=0.2, random_state=0, n_resamples=0)
    base = result.metrics["baseline"]
    for method in ("lexical", "semantic"):
        for name in ("clean", "noisy"):
            assert result.metrics[method][name]["acc@1"] > base[name]["acc@1"] + 0.04
            assert result.metrics[method][name]["mrr"] > base[name]["mrr"] + 0.04
    for name in ("clean", "noisy"):
        assert result.metrics["semantic"][name]["acc@1"] > result.metrics["lexical"][name]["acc@1"]


# --------------------------------------------------------------------------- skills


def _tiny_referential():
    items = {
        "1": Item("1", "Accueillir des clients", "savoir_faire"),
        "2": Item("2", "Gérer les stocks", "savoir_faire"),
        "3": Item("3", "Travail en équipe", "savoir_etre"),
        "4": Item("4", "Permis de conduire catégorie B", "savoir"),
        "5": Item("5", "Conduire un chariot élévateur", "savoir_faire"),
        "9": Item("9", "Travail de nuit", "work_context"),
    }
    links = [
        ItemLink("A1111", "1", "Principale"),
        ItemLink("A1111", "2", "Émergente"),
        ItemLink("A1111", "3", ""),
        ItemLink("A1111", "9", "Principale"),  # a work context: never required
        ItemLink("B2222", "3", ""),
        ItemLink("B2222", "4", ""),
        ItemLink("C3333", "5", "Principale"),
    ]
    return items, links


def test_coverage_shares_are_computed_on_core_items_when_present():
    items, links = _tiny_referential()
    result = occupation_coverage({"1", "3", "9"}, links, items=items, occupation_labels={"A1111": "Vente"})
    # A1111: core {1, 2} -> 1 of 2; B2222: no core, all {3, 4} -> 1 of 2; C3333: nothing covered
    assert [(c.code, c.share, c.covered, c.missing, c.uses_core) for c in result] == [
        ("A1111", 0.5, ("1",), ("2",), True),
        ("B2222", 0.5, ("3",), ("4",), False),
    ]
    assert result[0].label == "Vente" and result[1].label == "B2222"
    assert result[0].n_required == 2
    full = occupation_coverage({"1", "2", "3", "4", "5"}, links, items=items, top=None)
    assert [(c.code, c.share, len(c.covered)) for c in full] == [
        ("A1111", 1.0, 2),
        ("B2222", 1.0, 2),
        ("C3333", 1.0, 1),
    ]
    # without the item table the work context counts as a core item of A1111
    raw = occupation_coverage({"1"}, links, top=1)
    assert raw[0].code == "A1111" and raw[0].share == pytest.approx(1 / 3)


def test_neighbours_follow_the_publisher_order():
    mobility = [
        MobilityLink("A1111", "C3333", 2),
        MobilityLink("A1111", "B2222", 1),
        MobilityLink("B2222", "A1111", 1),
    ]
    assert neighbours("A1111", mobility) == [("B2222", 1), ("C3333", 2)]
    assert neighbours("C3333", mobility) == []


def test_split_skill_text_on_separators():
    assert split_skill_text("bénévolat restos du coeur: accueil, gestion des stocks; permis B") == [
        "bénévolat restos du coeur",
        "accueil",
        "gestion des stocks",
        "permis B",
    ]


def test_free_text_skills_match_items_and_suggest_occupations(sample):
    model = fit_skill_normaliser(sample.items.values())
    matches = match_skills(["gestion des stocks", "permis B"], model)
    labels = {m.label for m in matches}
    assert "Permis de conduire catégorie B" in labels
    assert any("stocks" in label for label in labels)
    assert all(m.score >= 0.5 for m in matches)
    found, suggestions = suggest_occupations(
        ["bénévolat restos du coeur: accueil, gestion des stocks", "permis B"], sample, model, top=5
    )
    assert found
    shares = [s.coverage.share for s in suggestions]
    assert shares == sorted(shares, reverse=True)
    assert all(0 < s <= 1 for s in shares)
    for s in suggestions:
        assert s.coverage.code in sample.occupations
        assert all(target in sample.occupations for target, _ in s.neighbours)
    with pytest.raises(BadInputError, match="no item"):
        fit_skill_normaliser([], kinds=("savoir",))


def test_a_handful_of_labels_fits_whatever_the_share_of_dropped_ngrams():
    # char_max_df=0.1 of 3 labels is less than one label: every n-gram is kept instead of failing
    model = JobTitleNormaliser().fit(
        ["laver du linge", "gérer des budgets", "réparer des bicyclettes"], ["a", "b", "c"]
    )
    assert [m.code for m in model.query("laver le linge", top=1)] == ["a"]
