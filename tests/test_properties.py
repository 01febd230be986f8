"""Property-based tests (hypothesis) on arbitrary Unicode: normalisation,
matching, scrubbing and the knowledge loader never raise, and give the same
result for the same input."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.knowledge import load_knowledge
from bot.understanding.normalize import fold
from bot.people.scrub import scrub
from tests.conftest import KNOWLEDGE

ACTIONS = {"answer", "clarify", "escalate", "emergency", "smalltalk"}
# Every kind of character: controls, right-to-left marks, zero-width joiners, surrogates excluded (not text).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTIES
@given(ANY_TEXT)
def test_fold_is_stable_and_tidy(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.strip() and "  " not in folded


@PROPERTIES
@given(ANY_TEXT)
def test_scrub_is_stable(text):
    assert scrub(scrub(text)) == scrub(text)


@PROPERTIES
@given(text=ANY_TEXT, chosen=st.sampled_from([None, "nl", "en", "ar", "fa", "ti", "xx"]))
def test_understanding_any_text_is_safe_and_repeatable(engine, text, chosen):
    match = engine.understand(text, chosen)
    assert match.action in ACTIONS and 0.0 <= match.score <= 1.0
    assert all(c in engine.knowledge.entries for c in match.candidates)
    if match.entry is not None:
        kind = engine.knowledge.entries[match.entry].kind
        assert match.action == {"human": "escalate"}.get(kind, kind), (match, kind)
    assert engine.understand(text, chosen) == match


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=20)
HOUSING = (KNOWLEDGE / "housing.yaml").read_text(encoding="utf-8").splitlines(keepends=True)


def load_one(text: str):
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "topic.yaml").write_text(text, encoding="utf-8")
        return load_knowledge(Path(directory))


def assert_loaded_or_explained(result) -> None:
    assert result.errors or result.knowledge is not None
    assert all(problem.line >= 0 and problem.message for problem in result.errors)


@PROPERTIES
@given(ANY_TEXT)
def test_the_loader_explains_any_text(text):
    assert_loaded_or_explained(load_one(text))


@PROPERTIES
@given(YAML_VALUES)
def test_the_loader_explains_any_yaml_shape(value):
    assert_loaded_or_explained(load_one(yaml.safe_dump(value, allow_unicode=True)))


@PROPERTIES
@given(start=st.integers(0, len(HOUSING) - 1), length=st.integers(1, 40), insert=ANY_TEXT)
def test_the_loader_explains_a_damaged_real_file(start, length, insert):
    damaged = "".join(HOUSING[:start]) + insert + "".join(HOUSING[start + length:])
    first = load_one(damaged)
    assert_loaded_or_explained(first)
    assert [str(p).split(":", 1)[1] for p in first.errors] == [str(p).split(":", 1)[1] for p in load_one(damaged).errors]
