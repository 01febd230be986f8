"""Matching: retrieval, ranking, calibrated scores and the confidence bands."""

import copy

import pytest

from bot.understanding.engine import Engine, Thresholds
from bot.content.knowledge import Entry, KnowledgeBase
from bot.understanding.matching import Matcher, PhrasingIndex, features
from tests.conftest import KNOWLEDGE


def test_retrieval_returns_only_the_phrasings_that_share_something():
    index = PhrasingIndex([features(t) for t in ("huurwaarborg terugkrijgen", "sociale woning inschrijven", "huisarts zoeken")])
    hits = index.search(features("mijn huurwaarborg"))
    assert hits[0][0] == 0 and 1 not in [i for i, _ in hits]
    assert 0 < hits[0][1] <= 1.0 + 1e-6
    assert index.search(features("ሰላም")) == []
    assert not index.cosines(features("ሰላም")).any()
    many = PhrasingIndex([features(f"vraag nummer {n}") for n in range(40)])
    assert len(many.search(features("vraag nummer 7"), limit=5)) == 5


def test_features_in_most_phrasings_are_not_walked():
    common = PhrasingIndex([features(f"vraag nummer {n}") for n in range(400)])
    assert [i for i, _ in common.search(features("vraag nummer 7"))] == [7]


def test_a_word_too_common_among_entries_but_not_among_phrasings_still_ranks():
    # "formulier" is in 60 of 1,000 phrasings (indexed) but in 60 of 100 entries (not indexed).
    entries = {}
    for n in range(100):
        questions = [f"vraag {n} over onderwerp{n} deel{k}" for k in range(10)]
        if n < 60:
            questions[0] = f"formulier voor onderwerp{n}"
        entries[f"e.{n}"] = Entry(f"e.{n}", "t", "answer", {"nl": f"titel {n}"}, {"nl": questions})
    ranked = Matcher(KnowledgeBase({}, entries)).rank("formulier", "nl")
    assert ranked and all(s.score > 0 for s in ranked)


@pytest.mark.parametrize(("text", "lang", "entry"), [
    ("hoeveel huurwaarborg mag mijn verhuurder vragen", "nl", "housing.rental-deposit"),
    ("how do i register at a health insurance fund", "en", "health.insurance-registration"),
    ("comment faire reconnaitre mon diplome etranger", "fr", "work.diploma-recognition"),
    ("كيف افتح حساب بنك في بلجيكا", "ar", "money.bank-account"),
    ("چطوری گواهینامه رانندگی خودمو عوض کنم", "fa", "mobility.driving-licence"),
    ("як оформити Groeipakket на дітей", "uk", "benefits.child-benefit"),
])
def test_clear_questions_are_answered_in_every_script(engine, text, lang, entry):
    match = engine.understand(text)
    assert (match.action, match.entry, match.lang) == ("answer", entry, lang)


def test_out_of_scope_is_escalated_without_an_entry(engine):
    for text in ("give me a good pizza recipe", "kan je me een mop vertellen", "какая будет погода завтра"):
        match = engine.understand(text)
        assert match.action == "escalate" and match.entry is None, (text, match)


def test_smalltalk_and_asking_for_a_person(engine):
    assert engine.understand("hallo goedemiddag").action == "smalltalk"
    human = engine.understand("can I talk to a human volunteer please")
    assert (human.action, human.entry) == ("escalate", "meta.talk-to-human")


def test_scores_are_bounded_and_the_same_on_every_run():
    first = Engine.from_directory(KNOWLEDGE).understand("huurwaarborg ocmw")
    second = Engine.from_directory(KNOWLEDGE).understand("huurwaarborg ocmw")
    assert first == second
    assert 0.0 <= first.score <= 1.0


def test_every_language_is_calibrated_to_the_same_typical_score(engine):
    factors = engine.matcher.calibration
    assert set(factors) == {"nl", "en", "fr", "ar", "fa", "ps", "ti", "so", "tr", "uk", "ru"}
    # Scripts and styles differ (Ethiopic syllables, Arabic without vowels), but not wildly.
    assert max(factors.values()) / min(factors.values()) < 2


def with_bands(engine, **bands):
    changed = copy.copy(engine)
    changed.thresholds = Thresholds(short_margin=bands["margin"], **bands)
    return changed


def test_the_bands_decide_the_action(engine):
    text = "huurwaarborg terugkrijgen"
    never_answer = with_bands(engine, answer=10.0, clarify=0.0, margin=0.0).understand(text)
    assert never_answer.action == "clarify" and 1 <= len(never_answer.candidates) <= 3
    never_anything = with_bands(engine, answer=10.0, clarify=10.0, margin=0.0).understand(text)
    assert never_anything.action == "escalate" and never_anything.entry is None
    no_margin_needed = with_bands(engine, answer=0.0, clarify=0.0, margin=0.0).understand(text)
    assert no_margin_needed.action == "answer"
    huge_margin = with_bands(engine, answer=0.0, clarify=0.0, margin=1.0).understand(text)
    assert huge_margin.action in ("clarify", "escalate")


@pytest.mark.parametrize("text", ["kosten", "kind", "school"])
def test_a_single_ambiguous_word_is_clarified_not_answered(engine, text):
    assert engine.understand(text).action == "clarify"


def test_empty_and_symbol_only_messages_escalate(engine):
    for text in ("", "   ", "???", "🙏🙏🙏", "\u200b\u200f"):
        match = engine.understand(text)
        assert match.action == "escalate" and match.score == 0.0


def test_very_long_and_binary_input_does_not_break_matching(engine):
    assert engine.understand("huurwaarborg " * 400).action in ("answer", "clarify", "escalate")
    assert engine.understand("\x00\x01\x02 huur\ufffd").action in ("answer", "clarify", "escalate")


def test_a_decline_entry_close_behind_the_best_sends_the_message_to_a_volunteer(engine):
    """"My lawyer wrote my appeal too short, is my case lost?" reads like the negative-decision entry
    and like the decline entry of one's own chances: it is not answered, a volunteer is."""
    from bot.understanding.matching import Scored

    def decided(decline_score: float):
        ranked = [Scored("asylum.negative-decision", 0.7, ""), Scored("out-of-scope.asylum-procedure", decline_score, ""),
                  Scored("residence.legal-aid", 0.3, "")]
        return engine._decide(ranked, short=False)

    assert decided(0.6)[:2] == (None, "escalate")
    assert decided(0.4)[:2] == ("asylum.negative-decision", "answer")


def test_a_base_too_large_for_the_entry_classifier_is_ranked_on_its_lexical_score(monkeypatch):
    from bot.understanding import matching

    entries = {f"e.{n}": Entry(f"e.{n}", "t", "answer", {"en": f"title {n}"}, {"en": [text]})
               for n, text in enumerate(["rental deposit back", "find a family doctor", "open a bank account"])}
    monkeypatch.setattr(matching, "MAX_CLASSIFIED_ENTRIES", 2)
    matcher = Matcher(KnowledgeBase({}, entries))
    assert matcher.classifier is None
    assert matcher.rank("where do I find a doctor for my family", "en")[0].entry_id == "e.1"
