"""python -m bot check: what a maintainer is told, beyond the loader's own errors."""

import datetime as dt

from bot.content.check import check_all
from tests.test_knowledge import GOOD_ENTRY, topic_file, write


def problems_of(tmp_path, entries=GOOD_ENTRY, intents="intents:\n  - {id: housing.rental-deposit}\n", today=None):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    write(knowledge, "housing.yaml", topic_file(entries))
    intents_file = write(tmp_path, "intents.yaml", intents)
    return check_all(knowledge, tmp_path / "conversations", [intents_file], today=today or dt.date(2026, 11, 23))


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


def test_an_impossible_date_is_listed_with_its_line(tmp_path):
    problems = problems_of(tmp_path, entries=GOOD_ENTRY.replace("reviewed: 2026-11-01", "reviewed: 2026-02-30"))
    [error] = [p for p in problems if p.severity == "error" and "2026-02-30" in p.message]
    assert error.path.name == "housing.yaml" and error.line == 15 and "is not a valid date" in error.message


def test_a_review_with_a_time_is_an_error_not_a_traceback(tmp_path):
    problems = problems_of(tmp_path, entries=GOOD_ENTRY.replace("reviewed: 2026-11-01", "reviewed: 2024-11-01 10:00:00"),
                           today=dt.date(2028, 1, 1))
    assert any(p.line == 15 and "'reviewed' must be a date" in p.message for p in problems)


def test_an_oversized_intents_file_is_refused(tmp_path, monkeypatch):
    from bot.content import yamlfile

    monkeypatch.setattr(yamlfile, "MAX_FILE_BYTES", 1000)
    problems = problems_of(tmp_path, intents="intents:\n" + "  - {id: housing.rental-deposit}\n" * 40)
    assert any(p.path.name == "intents.yaml" and "the limit is 0.0 MiB (1000 bytes) a file" in p.message
               for p in problems)


def test_an_intents_file_of_the_wrong_shape_is_an_error_not_a_traceback(tmp_path):
    for number, intents in enumerate(["intents:\n", "intents: 5\n", "intents: {a: b}\n", "- a\n", "other: 1\n"]):
        (tmp_path / str(number)).mkdir()
        problems = problems_of(tmp_path / str(number), intents=intents)
        assert any(p.path.name == "intents.yaml" and "'intents' must be a list" in p.message for p in problems)


def test_a_translation_with_another_number_is_an_error(tmp_path):
    entry = GOOD_ENTRY.replace("      en: At most three months of rent in Flanders.\n",
                               "      en: At most 3 months of rent (2026); call 0800 30 030.\n"
                               "      fr: Au maximum 3 mois de loyer (2026) ; appelez le 0800 30 300.\n"
                               "      nl: Hoogstens 3 maanden huur (2026); bel 0800 30 030.\n")
    entry = entry.replace("translation: {en: original}", "translation: {en: original, fr: machine, nl: machine}")
    errors = [p for p in problems_of(tmp_path, entries=entry) if p.severity == "error"]
    assert [p.message for p in errors] == [
        "'housing.rental-deposit answer' in 'fr' has other numbers than the English: 080030300 more, 080030030 missing"]


def test_every_intents_file_is_required(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    write(knowledge, "housing.yaml", topic_file(GOOD_ENTRY))
    first = write(tmp_path, "intents.yaml", "intents:\n  - {id: housing.rental-deposit}\n")
    added = write(tmp_path, "intents-added.yaml", "intents:\n  - {id: asylum.dublin}\n")
    errors = [p for p in check_all(knowledge, tmp_path / "conversations", [first, added]) if p.severity == "error"]
    assert [(p.path.name, p.message) for p in errors] == [("intents-added.yaml", "intent 'asylum.dublin' has no knowledge entry")]
