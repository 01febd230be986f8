"""The entry classifier: learned from phrasings, scores each entry, deterministic, and a second
opinion that the matcher adds to its lexical ranking."""

import numpy as np

from bot.content.knowledge import Entry, KnowledgeBase
from bot.understanding.classifier import EntryClassifier
from bot.understanding import matching
from bot.understanding.matching import Matcher

TEXTS = ["how much is the rental deposit", "deposit for my apartment", "huurwaarborg hoeveel",
         "where do i find a doctor", "looking for a family doctor", "huisarts zoeken",
         "open a bank account", "bank account basic service", "bankrekening openen"]
LABELS = [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_it_learns_which_ngrams_tell_entries_apart():
    model = EntryClassifier.train(TEXTS, LABELS, 3)
    assert model.size == 3
    for text, label in [("the deposit of my apartment", 0), ("a doctor please", 1), ("bankrekening", 2)]:
        assert int(np.argmax(model.scores(text))) == label, text


def test_training_is_deterministic_and_unknown_text_scores_nothing():
    first, second = EntryClassifier.train(TEXTS, LABELS, 3), EntryClassifier.train(TEXTS, LABELS, 3)
    assert np.array_equal(first.scores("deposit doctor bank"), second.scores("deposit doctor bank"))
    assert not first.scores("ሰላም").any()


def test_the_matcher_adds_the_classifier_to_its_lexical_ranking(monkeypatch):
    entries = {f"e.{n}": Entry(f"e.{n}", "t", "answer", {"en": f"title {n}"},
                               {"en": [text for text, label in zip(TEXTS, LABELS) if label == n]})
               for n in range(3)}
    matcher = Matcher(KnowledgeBase({}, entries))
    ranked = matcher.rank("i need a family doctor", "en")
    assert ranked[0].entry_id == "e.1" and ranked[0].score > ranked[1].score
    monkeypatch.setattr(matching, "CLASSIFIER_WEIGHT", 0.0)
    assert matcher.rank("i need a family doctor", "en")[0].score != ranked[0].score  # the classifier moved it


def test_a_large_base_s_model_is_kept_for_the_next_start(tmp_path):
    from bot.understanding import classifier

    texts = [f"{text} variant {n}" for n in range(250) for text in TEXTS[:8]]
    labels = [label for _ in range(250) for label in LABELS[:8]]
    trained = EntryClassifier.train(texts, labels, 3, cache=tmp_path)
    [kept] = tmp_path.glob("entries-*.npz")
    classifier._trained.cache_clear()  # as a restart would
    loaded = EntryClassifier.train(texts, labels, 3, cache=tmp_path)
    assert loaded is not trained
    assert np.allclose(loaded.scores("deposit for a doctor"), trained.scores("deposit for a doctor"))
    EntryClassifier.train(TEXTS, LABELS, 3, cache=tmp_path)  # a small base is not worth keeping
    assert list(tmp_path.glob("entries-*.npz")) == [kept]
