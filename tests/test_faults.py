"""Telegram failing under the relay: every message stored is delivered
exactly once, whatever the Bot API answers (or does not answer)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.fake_telegram import HANG, RESET
from tests.telegram_bot import PERSON, VOLUNTEER, open_ticket, until


def lines_in(fake, chat_id: int) -> Counter:
    """How often each line appears in the bot's messages in a chat."""
    return Counter(line.split(": ", 1)[-1] for text in fake.texts_in(chat_id) for line in text.splitlines())


@pytest.mark.parametrize("fault", [
    pytest.param((429, "Too Many Requests: retry after 1", 1), id="429"),
    pytest.param((500, "Internal Server Error", None), id="500"),
    pytest.param((502, "Bad Gateway", None), id="502"),
    pytest.param((HANG, "", None), id="timeout"),
    pytest.param((RESET, "", None), id="connection-reset"),
])
async def test_a_failing_send_is_retried_and_arrives_once(bot, fault):
    status, description, retry_after = fault
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.fail_next("sendMessage", status, description, retry_after=retry_after, chat_id=fake.group_id)
    fake.fail_next("sendMessage", status, description, retry_after=retry_after, chat_id=PERSON)
    fake.person_says(PERSON, "the letter says I must leave")
    fake.volunteer_says(VOLUNTEER, "Which letter? Send a photo", thread_id=thread)
    # The first attempts fail (or time out after 5 s); the stored messages wait for the next round.
    await until(lambda: len(bot.store.ticket_messages(1)) == 2, timeout=10)
    await until(lambda: len([c for c in fake.calls if c.method == "sendMessage" and c.params["chat_id"] in
                             (PERSON, fake.group_id)]) >= 4, timeout=15)
    await bot.run_job("redeliver")
    await until(lambda: not bot.store.tickets_with_undelivered(), timeout=10)
    assert lines_in(fake, fake.group_id)["the letter says I must leave"] == 1
    assert lines_in(fake, PERSON)["Which letter? Send a photo"] == 1


async def test_an_update_delivered_twice_is_handled_once(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    update = fake.person_says(PERSON, "only once please")
    await until(lambda: lines_in(fake, fake.group_id)["only once please"] == 1)
    fake.inject(json.loads(json.dumps(update)))  # Telegram offers the same update again
    fake.person_says(PERSON, "and the next one")
    await until(lambda: lines_in(fake, fake.group_id)["and the next one"] == 1)
    assert lines_in(fake, fake.group_id)["only once please"] == 1
    assert len(fake.calls_to("sendMessage", chat_id=fake.group_id, message_thread_id=thread)) == 3


async def test_updates_received_but_not_handled_before_a_crash_are_handled_after_the_start(bot):
    fake = bot.fake
    await open_ticket(bot)
    await bot.stop()
    # As if the process died after fetching these (and confirming them to Telegram with its next poll).
    lost = [fake.person_says(PERSON, f"lost in the crash {n}") for n in range(3)]
    fake._updates.clear()
    bot.store.receive_updates(lost)
    await bot.start()
    await until(lambda: all(lines_in(fake, fake.group_id)[f"lost in the crash {n}"] == 1 for n in range(3)))


async def test_a_topic_deleted_while_the_bot_was_down_is_made_again(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    await bot.stop()
    fake.deleted_threads.add(thread)
    await bot.start()
    fake.volunteer_says(VOLUNTEER, "hello again", thread_id=thread)  # in the deleted topic: goes nowhere
    fake.person_says(PERSON, "is anyone there?")
    await fake.wait_for("createForumTopic", count=2)
    await until(lambda: lines_in(fake, fake.group_id)["is anyone there?"] == 1)
    assert len(fake.calls_to("createForumTopic")) == 2
