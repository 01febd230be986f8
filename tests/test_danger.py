"""The learned emergency check: each kind of danger in several languages and
ways of writing, one crisis sentence inside a long story, near-misses that
must stay quiet, and the kind's own numbers first in the answer.

These messages were written for this test; none is in safety/ or knowledge/.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from bot.content.knowledge import DANGER_KINDS, load_knowledge
from bot.understanding import danger
from bot.understanding.danger import (Danger, DangerModel, NearestExamples, SafetyLine, load_danger_model,
                                        sentences)
from bot.understanding.engine import Engine
from bot.understanding.linear import FeatureTable
from tests.conftest import KNOWLEDGE

DANGER = [
    ("suicide", "i wrote goodbye letters to my kids, tonight i end it"),
    ("suicide", "ik wil gewoon slapen en nooit meer wakker worden"),
    ("suicide", "я більше не хочу жити, сьогодні все закінчу"),
    ("suicide", "ana bidi mout khalas ma fi sabab 3ish"),
    ("self-harm", "I keep cutting my arms with a razor and it won't stop"),
    ("self-harm", "je me suis brûlée exprès avec le fer à repasser"),
    ("overdose-poisoning", "my son drank bleach from the bottle under the sink"),
    ("overdose-poisoning", "mijn broer heeft 30 slaappillen genomen en wordt niet wakker"),
    ("overdose-poisoning", "ребенок выпил средство для посуды"),
    ("medical", "my father fell down and is not breathing"),
    ("medical", "annem bayıldı nefes almıyor"),
    ("bleeding", "he cut his hand with glass, blood everywhere and it won't stop"),
    ("bleeding", "جرح عميق بإيدو والدم ما عم يوقف"),
    ("bleeding", "у него сильное кровотечение из ноги, кровь не останавливается"),
    ("sick-child", "baby 40 fever very limp not drinking since morning"),
    ("sick-child", "mijn baby van 3 maanden is slap en heeft 40 graden koorts"),
    ("pregnancy", "I am 7 months pregnant and bleeding a lot with pain"),
    ("pregnancy", "enceinte de 8 mois je perds beaucoup de sang"),
    ("violence", "my husband is beating me right now the children are screaming"),
    ("violence", "mon mari me frappe en ce moment aidez moi"),
    ("sexual-violence", "a man raped me in the shelter last night"),
    ("sexual-violence", "ik ben gisteren verkracht door de man van de kamer naast mij"),
    ("weapon", "there is a man with a gun in front of the centre"),
    ("weapon", "یه مرد با تفنگ جلوی در کمپ وایساده"),
    ("weapon", "adamın elinde bıçak var bizi öldürecek diyor"),
    ("weapon", "hij heeft een mes en bedreigt mijn moeder"),
    ("fire-gas-trapped", "fire in the building and the stair door is locked we cannot get out"),
    ("fire-gas-trapped", "il y a le feu dans l'appartement on est bloqués"),
    ("missing-child", "my daughter of 8 did not come home from school, it is 9 at night"),
    ("missing-child", "mijn zoontje van 6 is weg, we vinden hem nergens"),
    ("trafficking", "the boss took my passport and I work every day without pay, they lock the door at night"),
    ("trafficking", "patron pasaportumu aldı, maaş vermiyor, dışarı çıkmama izin vermiyor"),
    ("trafficking", "صاحب الشغل أخذ جوازي وما بيخليني اطلع"),
    ("trafficking", "mon patron a pris mon passeport et m'enferme la nuit"),
]

NEAR_MISSES = [
    "my phone died, how do I charge the ebox card",
    "I killed it at the Dutch exam",
    "can I fire my lawyer and take another one",
    "how do I call an ambulance, is it free?",
    "I am very stressed about my interview at the CGRS next week",
    "where is the emergency exit of the Fedasil centre",
    "urgent: I need an appointment at the OCMW",
    "dringend een afspraak bij de huisarts, hoe doe ik dat",
    "waxaan rabaa inaan barto luqadda",  # Somali: "I want to learn the language"
    "waxaan rabaa guri",  # Somali: "I want a house"
    "dil öğrenmek istiyorum",  # Turkish: "I want to learn the language"
    "hoeveel kinderbijslag krijg ik voor twee kinderen",
]


@pytest.mark.parametrize(("kind", "text"), DANGER)
def test_each_kind_of_danger_raises_the_alarm(engine, kind, text):
    match = engine.understand(text)
    assert match.action == "emergency", (text, match)
    assert match.entry == "meta.emergency"


@pytest.mark.parametrize(("kind", "text"), DANGER)
def test_the_answer_gives_the_kinds_own_numbers_first(engine, assistant, store, kind, text):
    """The kind may be unclear (the general answer has 112 first): when it is
    named, it is the right one and its numbers open the answer."""
    match = engine.understand(text)
    person = store.person("test", text)
    [reply] = assistant.on_text(person, text)
    assert reply.kind == "emergency"
    if match.emergency_kind is not None:
        assert match.emergency_kind == kind, (text, match)
        first_line = reply.text.splitlines()[0]
        assert all(name in first_line for name in engine.knowledge.entries["meta.emergency"].dangers[kind].first_line)
    assert store.open_ticket_of(person.id).emergency_kind == match.emergency_kind


def test_the_kind_is_named_for_most_clear_messages(engine):
    named = [engine.understand(text).emergency_kind == kind for kind, text in DANGER]
    assert sum(named) >= 0.8 * len(DANGER), named


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_and_ordinary_wishes_raise_no_alarm(engine, text):
    assert engine.understand(text).action != "emergency", text


def test_a_question_about_the_numbers_is_answered_with_them_without_an_alarm(assistant, store):
    person = store.person("test", "info")
    [reply] = assistant.on_text(person, "which number do I call for the police in belgium")
    assert reply.kind != "emergency" and store.open_ticket_of(person.id) is None


def test_one_crisis_sentence_inside_a_long_story_is_enough(engine):
    story = ("We came to Belgium in March and we live in a small studio in Antwerp. "
             "The social worker of the OCMW helps us with the papers and my son goes to school. "
             "Tonight my husband took a knife and says he will kill me. "
             "I also wanted to ask about the child benefit.")
    assert len(sentences(story)) == 5
    assert engine.understand(story).action == "emergency"


def test_a_long_story_without_danger_stays_quiet(engine):
    story = ("In my country the police beat me in prison, that was four years ago. "
             "Now I live in Gent and I have my orange card. "
             "How long does the asylum procedure take after the interview?")
    assert engine.understand(story).action != "emergency"


def test_match_lines_name_the_kind_only_for_an_emergency(engine):
    assert "emergency_kind" not in engine.understand("hoeveel huurwaarborg mag de eigenaar vragen").as_json()
    line = engine.understand("my son drank bleach from the bottle under the sink").as_json()
    assert line["action"] == "emergency" and line["emergency_kind"] == "overdose-poisoning"


def test_every_kind_of_danger_has_its_answer_in_every_language():
    emergency = load_knowledge(KNOWLEDGE).knowledge.entries["meta.emergency"]
    assert set(emergency.dangers) == set(DANGER_KINDS)
    for danger in emergency.dangers.values():
        assert set(danger.answer) == set(emergency.answer) == set(danger.translation)


def test_a_translation_that_loses_the_kinds_number_is_an_error(tmp_path):
    text = (KNOWLEDGE / "meta.yaml").read_text(encoding="utf-8")
    broken = text.replace("Please call now: 1813 (Zelfmoordlijn, Dutch)", "Please call now the Zelfmoordlijn (Dutch)", 1)
    assert broken != text
    for path in KNOWLEDGE.glob("*.yaml"):
        (tmp_path / path.name).write_text(broken if path.name == "meta.yaml" else path.read_text(encoding="utf-8"),
                                          encoding="utf-8")
    problems = load_knowledge(tmp_path).problems
    assert any("'suicide' answer does not name 1813" in problem.message for problem in problems), problems


def _reading_every_message(score: float, strong: float) -> DangerModel:
    """A model that gives every message ``score``, read with a threshold of 0 and ``strong``."""
    fixed = DangerModel.__new__(DangerModel)
    fixed.semantic = None
    fixed.near_miss_words = frozenset()
    fixed.assess = lambda text, quick=False, name_kind=False: Danger(score, score, 0.0, strong, None)
    return fixed


def test_the_engine_works_without_a_learned_model(engine):
    """Triggers stay the fast path: a model that sees no danger does not hide them."""
    plain = Engine(engine.knowledge, danger=_reading_every_message(-10.0, 1.0))
    assert plain.understand("I want to kill myself").action == "emergency"
    assert plain.understand("my child drank something, she is sleepy").action != "emergency"


def test_possible_danger_is_an_alarm_unless_another_entry_answers_with_confidence(engine):
    """Just above the threshold: a question the knowledge base answers well is no danger, but an
    offer of entries to choose from ("doctor cost": the costs, or finding a doctor?) is no answer."""
    unsure = Engine(engine.knowledge, danger=_reading_every_message(0.1, 10.0))
    assert unsure.understand("where can I find a family doctor").action == "answer"
    assert unsure.understand("doctor cost").action == "emergency"
    assert Engine(engine.knowledge, danger=_reading_every_message(-0.1, 10.0)).understand(
        "doctor cost").action == "clarify"


_LINES = [SafetyLine(text, "en", "emergency", "weapon", "plain")
          for text in ("he has a knife", "a man with a knife at the door", "knife attack now help")]
_LINES += [SafetyLine(text, "en", "near-miss", "ordinary", "plain")
           for text in ("where do I buy bread", "how do I find a house", "bread and milk price")]


def test_the_model_learns_from_the_lines_it_is_given():
    model = DangerModel.train(_LINES * 5)
    assert model.assess("a man with a knife at the door").possible
    assert not model.assess("where do I buy bread").possible
    assert model.score("knife man at the door") > model.score("where is the bread") + 1


def test_the_danger_sentence_of_a_story_is_learned_as_an_emergency_of_its_own():
    story = SafetyLine("We moved to Gent last spring. A man with a knife is at the door. Where is the town hall?",
                       "en", "emergency", "weapon", "long")
    picked = danger._danger_sentences([*_LINES * 5, story], [], FeatureTable())
    assert picked == {story: SafetyLine("A man with a knife is at the door", "en", "emergency", "weapon", "long")}


def test_the_nearest_examples_by_n_grams_are_the_most_similar_texts():
    from bot.understanding.linear import NgramIndex, ngram_features

    texts = ["he has a knife", "a man with a knife at the door", "where do I buy bread", "bread and milk price"]
    vocabulary = FeatureTable().vocabulary(texts, min_count=1)
    similarity = NgramIndex.of(vocabulary, texts).similarities("a man with a knife")
    dense = np.zeros((len(texts), len(vocabulary)))
    for row, text in enumerate(texts):
        ids, values = vocabulary.vector(ngram_features(text))
        dense[row, ids] = values
    ids, values = vocabulary.vector(ngram_features("a man with a knife"))
    assert similarity == pytest.approx(dense[:, ids] @ values, abs=1e-3)  # kept as float16
    nearest = NearestExamples(np.array([True, True, False, False]), np.array(["weapon", "weapon"]))
    assert nearest.scores(similarity[None, :])[0] > 0
    assert nearest.scores(NgramIndex.of(vocabulary, texts).similarities("milk and bread")[None, :])[0] < 0


def test_the_nearest_examples_index_keeps_each_feature_s_heaviest_postings_and_reads_the_same():
    from bot.understanding.linear import NgramIndex

    texts = ["a knife", "he has a knife and he shouts at the door of our room", "a knife for bread", "bread"]
    vocabulary = FeatureTable().vocabulary(texts, min_count=1)
    full, capped = NgramIndex.of(vocabulary, texts), NgramIndex.of(vocabulary, texts, max_postings=1)
    assert (np.diff(capped.starts) <= 1).all() and len(capped.owners) < len(full.owners)
    [knife] = vocabulary.ids({"w:knife"}).tolist()
    # "knife" weighs most in the shortest text that holds it
    assert capped.owners[capped.starts[knife]:capped.starts[knife + 1]].tolist() == [0]
    nearest = NearestExamples(np.array([True, True, False, False]), np.array(["weapon", "weapon"]))
    for text in ("a man with a knife", "bread and milk", "nothing alike"):
        cosines = full.similarities(text)
        assert nearest.score_of_cosines(cosines) == pytest.approx(nearest.scores(cosines[None, :])[0], abs=1e-6)


def test_a_vocabulary_holds_keys_not_strings_and_finds_only_its_own_features():
    vocabulary = FeatureTable().vocabulary(["a knife", "a knife here"], min_count=2)
    assert vocabulary.keys.dtype == np.uint64 and (vocabulary.keys[1:] > vocabulary.keys[:-1]).all()
    assert len(vocabulary.ids({"w:knife", "w:bread", "zz"})) == 1
    assert len(vocabulary.ids({"w:here"})) == 0  # seen once: below min_count


def test_a_feature_table_shared_by_a_training_gives_each_model_what_its_own_texts_would():
    """The models of one training share the features of texts they overlap on (a split, then all):
    a table that has seen other texts too gives the same vocabulary, vectors and fit."""
    from bot.understanding.linear import LogisticModel, ngram_features

    texts = ["he has a knife", "a man with a knife at the door", "where do I buy bread", "bread and milk price"]
    labels, weights = [True, True, False, False], [1.0] * 4
    table = FeatureTable()
    table.rows(["the train to Gent", "a knife for the kitchen"])
    vocabulary = table.vocabulary(texts, min_count=1)
    for text, (ids, values) in zip(texts, table.vectors(vocabulary, texts)):
        expected_ids, expected_values = vocabulary.vector(ngram_features(text))
        assert dict(zip(ids.tolist(), values)) == pytest.approx(dict(zip(expected_ids.tolist(), expected_values)))
    shared, alone = (LogisticModel.train(texts, labels, weights, min_count=1, table=table),
                     LogisticModel.train(texts, labels, weights, min_count=1))
    assert (shared.vocabulary.keys == alone.vocabulary.keys).all() and (alone.vocabulary.keys == vocabulary.keys).all()
    for text in ("a knife", "bread please", "nothing alike"):
        assert shared.logit(text) == pytest.approx(alone.logit(text), abs=1e-4)
    assert shared.logit("a man with a knife") > 0 > shared.logit("buy bread and milk")


def test_a_kept_model_reads_danger_as_the_trained_one(tmp_path):
    """The nearest examples too: they are kept with the model."""
    model = DangerModel.train(_LINES * 5)
    model.save(tmp_path / "danger.npz")
    kept = DangerModel.load(tmp_path / "danger.npz")
    assert kept.neighbours is not None
    for text in ("knife man at the door", "where is the bread", "milk"):
        assert kept.assess(text) == model.assess(text)


def test_only_the_models_used_last_are_kept(tmp_path):
    """Each change of the data keeps a new model of about 100 MB: the four used last stay, and
    loading one counts as using it."""
    data, cache = tmp_path / "safety", tmp_path / "cache"
    data.mkdir()
    cache.mkdir()
    (data / "en.jsonl").write_text("".join(json.dumps(vars(line)) + "\n" for line in _LINES * 5), encoding="utf-8")
    for age in range(5):  # old0 is the one of them used last
        (cache / f"danger-old{age}.npz").write_bytes(b"")
        os.utime(cache / f"danger-old{age}.npz", (1_000_000 - age, 1_000_000 - age))
    load_danger_model(data, KNOWLEDGE, cache)
    kept = {path.name for path in cache.glob("danger-*.npz")}
    (trained,) = kept - {f"danger-old{age}.npz" for age in range(5)}
    assert kept == {trained, "danger-old0.npz", "danger-old1.npz", "danger-old2.npz"}
    os.utime(cache / trained, (1, 1))
    danger._trained.cache_clear()  # as a restart would
    load_danger_model(data, KNOWLEDGE, cache)
    assert (cache / trained).stat().st_mtime > 1_000_000
