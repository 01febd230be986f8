"""python -m bot check: what a maintainer is told, beyond the loader's own errors."""

import datetime as dt

from bot.check import check_all
from tests.test_knowledge import GOOD_ENTRY, topic_file, write


def problems_of(tmp_path, entries=GOOD_ENTRY, intents="intents:\n  - {id: housing.rental-deposit}\n", today=None):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    write(knowledge, "housing.yaml", topic_file(entries))
    intents_file = write(tmp_path, "intents.yaml", intents)
    return check_all(knowledge, tmp_path / "conversations", intents_file, today=today or dt.date(2026, 11, 23))


def test_an_intent_without_an_entry_is_an_error_at_its_line(tmp_path):
    problems = problems_of(tmp_path, intents="intents:\n  - {id: housing.rental-deposit}\n  - {id: housing.social-housing}\n")
    [error] = [p for p in problems if p.severity == "error"]
    assert "intent 'housing.social-housing' has no knowledge entry" in error.message
    assert error.path.name == "intents.yaml" and error.line == 3


def test_a_review_older_than_a_year_is_a_warning(tmp_path):
    problems = problems_of(tmp_path, today=dt.date(2028, 1, 1))
    assert not [p for p in problems if p.severity == "error"]
    assert any("over a year ago" in p.message and p.severity == "warning" for p in problems)


def test_thin_languages_and_missing_translations_are_warnings(tmp_path):
    messages = [p.message for p in problems_of(tmp_path) if p.severity == "warning"]
    assert any("fewer than 4 phrasings in: nl en fr" in m for m in messages)
    assert any("1 entries have no 'ar' answer" in m for m in messages)


def test_a_broken_conversation_file_is_reported(tmp_path):
    (tmp_path / "conversations").mkdir()
    write(tmp_path / "conversations", "family.yaml", "steps: [unclosed\n")
    problems = problems_of(tmp_path)
    assert any(p.path.name == "family.yaml" and p.severity == "error" for p in problems)


def test_errors_come_first(tmp_path):
    problems = problems_of(tmp_path, intents="intents:\n  - {id: housing.nowhere}\n")
    assert problems[0].severity == "error"
