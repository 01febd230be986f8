"""Publishing without a restart: /reload (admins only) and reloading when
the files change; a knowledge base with errors never replaces the running one."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import CONVERSATIONS, KNOWLEDGE
from tests.telegram_bot import PERSON, started_bot

ADMIN = 9001
RENT_QUESTION = "how do I find a house to rent"
FIRST_LINE = "Start searching on the day you are recognised"


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
    assert "Knowledge reloaded: 63 entries and 3 guided conversations" in report.params["text"]
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
