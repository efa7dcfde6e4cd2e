"""The query language and synonyms: dense parsing logic, tested directly."""

from __future__ import annotations

import pytest

from kb.search.query import parse
from kb.search.synonyms import Synonyms


def test_free_words_phrases_exclusions_and_filters() -> None:
    parsed = parse('Outlook "keeps asking" -mac tag:Email service:"e-mail" kind:article pw')
    assert parsed.words == ["outlook", "pw"]
    assert parsed.phrases == [["keeps", "asking"]]
    assert parsed.excluded == [["mac"]]
    assert parsed.filters == {"tags": ["email"], "service": ["e-mail"], "kind": ["article"]}


def test_unknown_field_prefixes_and_punctuation_are_just_words() -> None:
    parsed = parse("error: 0x80070005 http://intranet/x (again)")
    assert parsed.words == ["error", "0x80070005", "http", "intranet", "x", "again"]
    assert parsed.filters == {}


@pytest.mark.parametrize("text", ["", "   ", '"', "-", "tag:", '""', "- -"])
def test_nothing_to_search_for_is_empty_not_an_error(text: str) -> None:
    assert parse(text).empty


def test_very_long_input_is_cut_not_refused() -> None:
    parsed = parse("printer " * 500)
    assert 0 < len(parsed.words) <= 32


def test_normalized_form_groups_the_same_search() -> None:
    assert parse("VPN error 809").normalized() == parse("809  error vpn").normalized()
    assert parse("vpn tag:x").normalized() != parse("vpn").normalized()


def test_synonym_groups_match_the_longest_phrase_first() -> None:
    synonyms = Synonyms.parse("mfa, two factor, 2fa\npw, password\n")
    concepts = synonyms.concepts(["reset", "two", "factor", "pw"])
    assert concepts[0] == [("reset",)]
    assert concepts[1][0] == ("two", "factor") and ("mfa",) in concepts[1]
    assert concepts[2] == [("pw",), ("password",)]


def test_a_word_in_two_lines_joins_the_groups() -> None:
    synonyms = Synonyms.parse("pc, computer\ncomputer, laptop\n")
    assert set(synonyms.concepts(["laptop"])[0]) == {("pc",), ("computer",), ("laptop",)}


def test_a_bad_synonyms_line_names_file_and_line() -> None:
    with pytest.raises(ValueError, match=r"site\.txt:2"):
        Synonyms.parse("pw, password\nlonely\n", source="site.txt")


def test_the_bundled_synonyms_file_loads() -> None:
    synonyms = Synonyms.load(None)
    assert ("password",) in synonyms.concepts(["pw"])[0]
    assert ("wireless",) in synonyms.concepts(["wifi"])[0]


def _plan(text: str):
    from kb.search.planning import plan

    return plan(parse(text), Synonyms(), known=lambda word: True, nearby=lambda word: [])


def test_function_words_score_a_little_and_negations_not_at_all() -> None:
    from kb.search.planning import FUNCTION, MEANINGFUL, WEAK

    query_plan = _plan("someone wont stop using my account")
    roles = {c.alternatives[0].terms: c.role for c in query_plan.concepts}
    assert roles == {
        ("someon",): FUNCTION,
        ("stop",): WEAK,
        ("us",): FUNCTION,
        ("my",): FUNCTION,
        ("account",): MEANINGFUL,
    }
    assert query_plan.order == ["stop", "account"]  # proximity reads topical words only
    assert query_plan.highlight_terms() == ("account", "stop")


def test_a_query_of_function_words_only_still_searches_for_them() -> None:
    from kb.search.planning import MEANINGFUL

    query_plan = _plan("is it down")
    assert [c.role for c in query_plan.concepts] == [MEANINGFUL]
    assert query_plan.order == ["down"]
