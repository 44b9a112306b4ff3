"""Informal skills against ROME items (issue 15, part 5): the evaluation set, its reader, and the
measurement that chose the skill matcher (lexical stages; the semantic stage did not help)."""

import pytest

from parcours.stats.errors import BadInputError
from parcours.stats.labour.evaluate import ACCEPTED, evaluate_skill_phrases, read_skill_phrases
from parcours.stats.labour.normalise import SEMANTIC_WEIGHT
from parcours.stats.labour.rome import read_rome
from tests.stats.test_labour_semantic import ROME_DATA_DIR, SAMPLE, needs_rome

PHRASES = SAMPLE.parents[3] / "tests" / "stats" / "data" / "informal_skills_fr.tsv"


def test_the_set_has_forty_phrases_from_every_informal_source():
    rows = read_skill_phrases(PHRASES)
    assert len(rows) == len({p for p, _s, _x in rows}) == 40
    assert {s for _p, s, _x in rows} == {"family", "volunteering", "hobby", "other"}


@pytest.mark.parametrize(
    "content, message",
    [
        ("phrase\tsource\tacceptable_items\nlaver le linge\tfamily\n", "informal.tsv:2: expected"),
        ("phrase\tsource\tacceptable_items\nlaver\tfamily\t(linge\n", "informal.tsv:2: bad pattern"),
        ("phrase\tsource\tacceptable_items\n", "no phrase"),
    ],
)
def test_a_bad_file_names_its_line(tmp_path, content, message):
    path = tmp_path / "informal.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BadInputError, match=message):
        read_skill_phrases(path)


def test_phrases_are_scored_against_any_accepted_item_with_paired_differences(tmp_path):
    path = tmp_path / "informal.tsv"
    path.write_text(
        "phrase\tsource\tacceptable_items\n"
        "aider les enfants à faire leurs devoirs\tfamily\tdevoirs\n"
        "laver et repasser le linge\tfamily\tlinge\n"
        "xqzw wvut\tother\tlinge\n",
        encoding="utf-8",
    )
    result = evaluate_skill_phrases(read_rome(SAMPLE), read_skill_phrases(path), n_resamples=50)
    assert list(result) == ["w=0", f"w={SEMANTIC_WEIGHT:g}"]
    lexical = result["w=0"]
    # the first two find an accepted item first; the gibberish finds nothing accepted
    assert lexical["acc@1"]["value"] == pytest.approx(2 / 3)
    assert lexical["diff_acc@1"] == {"value": 0.0, "low": 0.0, "high": 0.0}
    assert lexical["n"]["value"] == 3
    assert ACCEPTED.startswith("\x00")  # never a ROME item code


def test_a_phrase_no_item_could_answer_is_refused(tmp_path):
    path = tmp_path / "informal.tsv"
    path.write_text(
        "phrase\tsource\tacceptable_items\npiloter un avion\thobby\tpilotage d'avion\n", encoding="utf-8"
    )
    with pytest.raises(BadInputError, match="no ROME item accepted for: 'piloter un avion'"):
        evaluate_skill_phrases(read_rome(SAMPLE), read_skill_phrases(path), n_resamples=0)


@needs_rome
@pytest.mark.slow
def test_lexical_skill_matcher_on_the_informal_set():
    """Fixed set, full ROME: acc@1 0.575 [0.43, 0.73], acc@5 0.75 when written (docs/labour.md);
    every phrase has at least one acceptable item in the referential."""
    result = evaluate_skill_phrases(
        read_rome(ROME_DATA_DIR), read_skill_phrases(PHRASES), semantic_weights=(0.0,)
    )
    assert result["w=0"]["acc@1"]["value"] >= 0.5
    assert result["w=0"]["acc@5"]["value"] >= 0.7
