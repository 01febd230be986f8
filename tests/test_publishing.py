"""Publishing without a restart: /reload (admins only) and reloading when
the files change; a knowledge base with errors never replaces the running one."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import CONVERSATIONS, KNOWLEDGE
from tests.telegram_bot import PERSON, started_bot

ADMIN = 9001
RENT_QUESTION = "how do I find a house to rent"
FIRST_LINE = "Start looking on the day you get protection"


@pytest.fixture
async def bot(engine, tmp_path):
    knowledge, conversations = tmp_path / "knowledge", tmp_path / "conversations"
    shutil.copytree(KNOWLEDGE, knowledge)
    shutil.copytree(CONVERSATIONS, conversations)
    async with started_bot(engine, tmp_path, admins=frozenset({ADMIN}),
                           sources=(knowledge, conversations)) as running:
        yield running


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def test_an_admin_reloads_and_people_get_the_new_answer_at_once(bot, tmp_path):
    fake = bot.fake
    edit(tmp_path / "knowledge" / "housing.yaml", FIRST_LINE, "Begin looking for a home right away")
    fake.person_says(ADMIN, "/reload")
    [report] = await fake.wait_for("sendMessage", chat_id=ADMIN, timeout=30)
    assert "Knowledge reloaded: 87 entries and 4 guided conversations" in report.params["text"]
    fake.person_says(PERSON, RENT_QUESTION)
    [answer] = await fake.wait_for("sendMessage", chat_id=PERSON)
    assert "Begin looking for a home right away" in answer.params["text"]


async def test_reload_is_for_admins_only(bot, tmp_path):
    running = bot.assistant.engine
    bot.fake.person_says(PERSON, "/reload")
    [reply] = await bot.fake.wait_for("sendMessage", chat_id=PERSON)
    assert "/topics" in reply.params["text"]  # the help, as for any unknown command
    assert bot.assistant.engine is running


async def test_a_broken_file_is_refused_and_the_admin_told_why(bot, tmp_path):
    fake = bot.fake
    running = bot.assistant.engine
    housing = tmp_path / "knowledge" / "housing.yaml"
    edit(housing, "  - id: housing.rental-deposit\n    topic: housing", "  - id: housing.rental-deposit\n    topic: [")
    await bot.run_job("watch_files")
    [report] = await fake.wait_for("sendMessage", chat_id=ADMIN, timeout=30)
    assert "NOT reloaded" in report.params["text"] and "housing.yaml:" in report.params["text"]
    assert bot.assistant.engine is running
    fake.person_says(PERSON, RENT_QUESTION)
    [answer] = await fake.wait_for("sendMessage", chat_id=PERSON)
    assert FIRST_LINE in answer.params["text"]
    await bot.run_job("watch_files")  # the same broken files are reported once
    assert len(fake.calls_to("sendMessage", chat_id=ADMIN)) == 1

    edit(housing, "    topic: [", "    topic: housing")
    await bot.run_job("watch_files")
    [_, fixed] = await fake.wait_for("sendMessage", count=2, chat_id=ADMIN, timeout=30)
    assert "Knowledge reloaded" in fixed.params["text"] and bot.assistant.engine is not running


async def test_an_unknown_reference_is_an_error_too(bot, tmp_path):
    edit(tmp_path / "knowledge" / "housing.yaml", "related: [housing.rental-deposit, residence.legal-aid]",
         "related: [housing.no-such-entry, residence.legal-aid]")
    bot.fake.person_says(ADMIN, "/reload")
    [report] = await bot.fake.wait_for("sendMessage", chat_id=ADMIN, timeout=30)
    assert "NOT reloaded" in report.params["text"] and "housing.no-such-entry" in report.params["text"]


IMPOSSIBLE_DATE = "reviewed: 2026-02-30"


def break_a_date(housing) -> int:
    """Give the first entry of ``housing`` an impossible review date; returns its line."""
    lines = housing.read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if text.strip().startswith("reviewed: "))
    edit(housing, lines[line - 1].strip(), IMPOSSIBLE_DATE)
    return line


async def test_an_impossible_date_is_reported_to_the_admin_with_file_and_line(bot, tmp_path):
    running = bot.assistant.engine
    housing = tmp_path / "knowledge" / "housing.yaml"
    line = break_a_date(housing)
    bot.fake.person_says(ADMIN, "/reload")
    [report] = await bot.fake.wait_for("sendMessage", chat_id=ADMIN, timeout=30)
    text = report.params["text"]
    assert "NOT reloaded" in text and "went wrong" not in text
    assert f"housing.yaml:{line}: error: '2026-02-30' is not a valid date" in text
    assert bot.assistant.engine is running


async def test_a_failed_rebuild_is_reported_once_and_not_retried_until_a_file_changes(bot, tmp_path, monkeypatch):
    from bot.understanding.engine import Engine

    rebuilds = []
    real = Engine.from_directory

    def counted(*args, **kwargs):
        rebuilds.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(Engine, "from_directory", counted)
    housing = tmp_path / "knowledge" / "housing.yaml"
    line = break_a_date(housing)
    await bot.run_job("watch_files")
    [report] = await bot.fake.wait_for("sendMessage", chat_id=ADMIN, timeout=30)
    assert f"housing.yaml:{line}:" in report.params["text"] and "NOT reloaded" in report.params["text"]
    for _ in range(3):
        await bot.run_job("watch_files")
    assert len(rebuilds) == 1 and len(bot.fake.calls_to("sendMessage", chat_id=ADMIN)) == 1

    edit(housing, IMPOSSIBLE_DATE, "reviewed: 2026-02-28")
    await bot.run_job("watch_files")
    [_, fixed] = await bot.fake.wait_for("sendMessage", count=2, chat_id=ADMIN, timeout=30)
    assert "Knowledge reloaded" in fixed.params["text"] and len(rebuilds) == 2


async def test_an_unexpected_failure_of_the_rebuild_is_reported_and_not_retried(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from bot import publishing

    knowledge, conversations = tmp_path / "knowledge", tmp_path / "conversations"
    shutil.copytree(KNOWLEDGE, knowledge)
    conversations.mkdir()
    running = SimpleNamespace(thresholds=None)
    assistant = SimpleNamespace(engine=running)
    publisher = publishing.Publisher(assistant, knowledge, conversations)
    rebuilds = []

    def failing(*args):
        rebuilds.append(args)
        raise MemoryError("out of memory")

    monkeypatch.setattr(publishing.Engine, "from_directory", failing)
    edit(knowledge / "housing.yaml", FIRST_LINE, "Begin looking for a home right away")
    assert publisher.changed()
    [problem] = await publisher.reload()
    assert "the rebuild failed: MemoryError: out of memory" in str(problem)
    assert "NOT reloaded" in publisher.report([problem], "en") and assistant.engine is running
    assert not publisher.changed()  # the watcher does not try again …
    edit(knowledge / "housing.yaml", "Begin looking", "Start looking")
    assert publisher.changed()  # … until a file changes
    await publisher.reload()
    assert len(rebuilds) == 2


async def test_an_oversized_file_is_refused_on_reload(bot, tmp_path):
    from bot.content.yamlfile import MAX_FILE_BYTES

    running = bot.assistant.engine
    big = tmp_path / "conversations" / "big.yaml"
    big.write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 1), encoding="utf-8")
    bot.fake.person_says(ADMIN, "/reload")
    [report] = await bot.fake.wait_for("sendMessage", chat_id=ADMIN, timeout=30)
    assert f"big.yaml:1: error: the file is 2.0 MiB ({big.stat().st_size} bytes); the limit is 2.0 MiB a file" \
        in report.params["text"]
    assert bot.assistant.engine is running
