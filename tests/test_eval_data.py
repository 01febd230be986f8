"""The evaluation sets (eval/): well formed, about every intent, in every
language and style, and the held-out part truly held out: none of its lines is
in the tuning part, the knowledge base or the guided conversations."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bot.cli import SHARED
from bot.understanding.languages import LANGUAGES
from tests.conftest import PROJECT, knowledge_phrasings, same_text

EVAL = PROJECT / "eval"
STYLES = {"plain", "typo", "keywords", "mixed", "translit", "long"}
# Languages whose own script is not Latin: their Latin-letter writing is the translit style.
TRANSLITERATED = {"ar", "fa", "ps", "ti", "uk", "ru"}
INTENT_FILES = sorted(SHARED.glob("intents*.yaml"))

pytestmark = pytest.mark.skipif(not INTENT_FILES, reason=f"no intents*.yaml in {SHARED}")


def lines_of(part: str, lang: str | None = None) -> list[dict]:
    paths = [EVAL / part / f"{lang}.jsonl"] if lang else sorted((EVAL / part).glob("*.jsonl"))
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines()]


def intents() -> dict[str, str]:
    import yaml

    return {intent["id"]: intent["kind"] for path in INTENT_FILES
            for intent in yaml.safe_load(path.read_text(encoding="utf-8"))["intents"]}


@pytest.mark.parametrize("part", ["tune", "heldout"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_well_formed_lines_in_every_style(part, lang):
    lines = lines_of(part, lang)
    known = intents()
    for line in lines:
        assert set(line) == {"text", "lang", "expect", "style"} and line["lang"] == lang, line
        assert line["expect"] is None or line["expect"] in known, line
        assert line["style"] in STYLES and line["text"].strip(), line
    styles = Counter(line["style"] for line in lines)
    assert set(styles) == (STYLES if lang in TRANSLITERATED else STYLES - {"translit"}), styles
    assert styles["long"] >= len(lines) / 5, styles
    assert sum(line["expect"] is None for line in lines) >= 5


def test_the_tuning_part_asks_about_every_answer_in_nearly_every_language():
    # Once per language as written; two Dutch lines that matched a phrasing word for word were dropped.
    answers = {intent for intent, kind in intents().items() if kind == "answer"}
    languages = Counter(line["expect"] for line in lines_of("tune"))
    assert {intent: languages[intent] for intent in answers if languages[intent] < len(LANGUAGES) - 1} == {}


def test_the_sets_are_large_and_a_fifth_is_transliterated():
    every = lines_of("tune") + lines_of("heldout")
    assert len(every) >= 1500
    assert sum(line["style"] == "translit" for line in every) >= len(every) / 5


def test_no_held_out_line_is_in_the_tuning_part_the_knowledge_base_or_the_conversations():
    tuned = {same_text(line["text"]) for line in lines_of("tune")}
    phrasings = knowledge_phrasings()
    guided = {same_text(line) for path in (PROJECT / "conversations").glob("*.yaml")
              for line in path.read_text(encoding="utf-8").splitlines()}
    held_out = [line["text"] for line in lines_of("heldout")]
    assert [text for text in held_out if same_text(text) in tuned] == []
    assert [text for text in held_out if same_text(text) in phrasings] == []
    assert [text for text in held_out if same_text(text) in guided] == []


def test_no_tuning_line_is_copied_into_the_knowledge_base():
    phrasings = knowledge_phrasings()
    assert [line["text"] for line in lines_of("tune") if same_text(line["text"]) in phrasings] == []
