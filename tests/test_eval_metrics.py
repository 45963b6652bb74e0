"""Metric functions against hand-worked examples."""

import math

import pytest

from lift.eval.metrics import (
    all_keywords_whole_word,
    bootstrap_ci,
    chosen_option,
    exact_match,
    keyword_score,
    keywords_found,
    normalize_answer,
    qa_f1,
    retrieval_score,
    rouge_l,
)


def test_squad_normalisation_and_exact_match():
    assert normalize_answer("The  Cat's, hat!") == "cats hat"
    assert normalize_answer("An apple a day") == "apple day"
    assert exact_match("the Eiffel Tower.", ["Eiffel Tower", "tower"]) == 1.0
    assert exact_match("Eiffel", ["Eiffel Tower"]) == 0.0


def test_f1_is_token_overlap_best_over_references():
    # [cat, sat] vs [cat, sat, on, mat]: precision 1, recall 1/2 -> 2/3
    assert qa_f1("The cat sat", ["cat sat on the mat"]) == pytest.approx(2 / 3)
    assert qa_f1("The cat sat", ["dog", "cat sat on the mat", "cat sat"]) == 1.0
    assert qa_f1("nothing shared", ["cat"]) == 0.0
    # repeated tokens count once per occurrence: [a_word a_word] vs [a_word]: p 1/2, r 1 -> 2/3
    assert qa_f1("paris paris", ["Paris"]) == pytest.approx(2 / 3)


def test_rouge_l_is_lcs_f1():
    # LCS of (a b c d) and (a c d e) is (a c d): p = r = 3/4
    assert rouge_l("A b, c d", ["a c d e"]) == pytest.approx(0.75)
    # p = 2/2, r = 2/4 -> 2/3
    assert rouge_l("b d", ["a b c d"]) == pytest.approx(2 / 3)
    assert rouge_l("", ["a"]) == 0.0
    assert rouge_l("x y", ["a b", "y"]) == pytest.approx(2 / 3)


def test_keyword_score_counts_word_starts_case_insensitive():
    answer = "Eat SANDWICHES and sit in Dolores\n Park."
    assert keywords_found(answer, ["sandwich", "Dolores Park", "sunny"]) == ["sandwich", "Dolores Park"]
    assert keyword_score(answer, ["sandwich", "Dolores Park", "sunny"]) == pytest.approx(2 / 3)
    assert keyword_score("xsandwich on a sunny day", ["sandwich", "sunny"]) == 0.5


def test_whole_word_keywords_with_alternatives():
    assert all_keywords_whole_word("A dog has 4 legs.", ["four|4"])
    assert not all_keywords_whole_word("A dog has 40 legs.", ["four|4"])
    assert all_keywords_whole_word("It is Paris, of course", ["paris"])


def test_retrieval_score_is_longbench_share_of_right_numbers():
    assert retrieval_score("Paragraph 22", ["Paragraph 22"]) == 1.0
    assert retrieval_score("Paragraph 2 or paragraph 22", ["Paragraph 22"]) == 0.5
    assert retrieval_score("I do not know", ["Paragraph 22"]) == 0.0


def test_chosen_option_reads_letters_or_unique_option_text():
    options = ["red apple", "green pear", "yellow banana"]
    assert chosen_option("B", options) == 1
    assert chosen_option("(c) yellow banana", options) == 2
    assert chosen_option("Answer: A", options) == 0
    assert chosen_option("I think it is the green pear.", options) == 1
    assert chosen_option("apple or pear", options) is None
    assert chosen_option("Something else", options) is None


def test_bootstrap_interval_is_seeded_and_brackets_the_mean():
    values = [1.0] * 30 + [0.0] * 70
    low, high = bootstrap_ci(values, samples=500, seed=1)
    assert low < 0.3 < high and 0.15 < low and high < 0.45
    assert bootstrap_ci(values, samples=500, seed=1) == (low, high)
    assert bootstrap_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)
    assert all(math.isnan(x) for x in bootstrap_ci([]))
