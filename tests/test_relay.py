"""Messages passed between a person and the volunteers, end to end: nothing
written before a close or a cancel is lost, a message Telegram refuses for
good blocks nothing after it, emergencies go ahead of every queue and are
never lost, and what the bot posted about a forgotten person goes."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.telegram.lanes import UrgentFirstRateLimiter
from tests.fake_telegram import HANG, SLOW
from tests.telegram_bot import PERSON, VOLUNTEER, open_ticket, started_bot, until

EMERGENCY = "I want to kill myself"
EMERGENCY_NUMBER = "112"


def texts_to(fake, chat_id: int) -> list[str]:
    return [call.params["text"] for call in fake.calls_to("sendMessage", chat_id=chat_id) if call.answer == 200]


def count_in(texts: list[str], needle: str) -> int:
    return sum(text.count(needle) for text in texts)


def arrived_once_and_before(texts: list[str], message: str, notice: str) -> bool:
    """``message`` is in ``texts`` once, and before ``notice`` (a close or a cancel)."""
    positions = [n for n, text in enumerate(texts) if message in text]
    return count_in(texts, message) == 1 and positions < [n for n, text in enumerate(texts) if notice in text]


# nothing lost at a close or a cancel

@pytest.mark.parametrize("bot", [{"coalesce_seconds": 3}], indirect=True)
async def test_what_the_person_wrote_just_before_a_close_still_reaches_the_group(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.person_says(PERSON, "one more thing: the letter is from the CGRS")
    await until(lambda: len(bot.store.ticket_messages(1)) == 1)
    fake.volunteer_says(VOLUNTEER, "/close", thread_id=thread)  # within the 3 s pause
    await fake.wait_for("closeForumTopic")
    assert arrived_once_and_before(fake.texts_in(fake.group_id), "one more thing", "Closed by")


async def test_a_volunteer_message_that_met_a_500_reaches_the_person_though_the_ticket_closed(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.fail_next("sendMessage", 500, "Internal Server Error", chat_id=PERSON)
    fake.volunteer_says(VOLUNTEER, "The address is Rue de la Loi 16", thread_id=thread)
    await until(lambda: any(call.answer == 500 for call in fake.calls_to("sendMessage", chat_id=PERSON)))
    fake.volunteer_says(VOLUNTEER, "/close", thread_id=thread)
    await fake.wait_for("closeForumTopic")
    await bot.run_job("redeliver")
    await until(lambda: count_in(texts_to(fake, PERSON), "Rue de la Loi 16") == 1)
    await bot.run_job("redeliver")
    assert count_in(texts_to(fake, PERSON), "Rue de la Loi 16") == 1
    assert bot.store.tickets_with_undelivered() == []


async def test_a_closed_ticket_still_gets_what_was_left_undelivered(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.fail_next("sendMessage", 500, "Internal Server Error", chat_id=fake.group_id, message_thread_id=thread)
    fake.person_says(PERSON, "my appointment is on Monday")
    await until(lambda: any(call.answer == 500 for call in fake.calls_to("sendMessage", chat_id=fake.group_id)))
    bot.store.close_ticket(1, "closed elsewhere")
    await bot.run_job("redeliver")
    await until(lambda: count_in(fake.texts_in(fake.group_id), "my appointment is on Monday") == 1)


@pytest.mark.parametrize("bot", [{"coalesce_seconds": 3}], indirect=True)
async def test_what_the_person_wrote_before_cancelling_still_reaches_the_group(bot):
    fake = bot.fake
    await open_ticket(bot)
    fake.person_says(PERSON, "the form is filled in")
    fake.person_says(PERSON, "/cancel")
    await until(lambda: any("cancelled the request" in text for text in fake.texts_in(fake.group_id)))
    assert arrived_once_and_before(fake.texts_in(fake.group_id), "the form is filled in", "cancelled the request")


# a message refused for good

async def test_a_photo_deleted_before_the_relay_is_reported_and_blocks_nothing(bot):
    fake = bot.fake
    await open_ticket(bot)
    fake.fail_next("copyMessage", 400, "Bad Request: message to copy not found", chat_id=fake.group_id)
    fake.person_sends_photo(PERSON, caption="my residence card")
    await until(lambda: any("could not be passed on" in text for text in texts_to(fake, PERSON)))
    fake.person_says(PERSON, "did you get my photo?")
    await until(lambda: count_in(fake.texts_in(fake.group_id), "did you get my photo?") == 1)
    await bot.run_job("redeliver")
    assert len(fake.calls_to("copyMessage", chat_id=fake.group_id)) == 1
    assert count_in(texts_to(fake, PERSON), "could not be passed on") == 1
    assert bot.store.tickets_with_undelivered() == []


async def test_a_volunteer_message_refused_for_good_is_reported_in_the_topic_and_blocks_nothing(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.fail_next("sendMessage", 400, "Bad Request: message is too long", chat_id=PERSON)
    fake.volunteer_says(VOLUNTEER, "first try", thread_id=thread)
    await until(lambda: any("Telegram refused one of your messages" in text
                            for text in fake.texts_in(fake.group_id)))
    fake.volunteer_says(VOLUNTEER, "second try", thread_id=thread)
    await until(lambda: count_in(texts_to(fake, PERSON), "second try") == 1)
    await bot.run_job("redeliver")
    assert count_in(texts_to(fake, PERSON), "first try") == 0
    assert bot.store.tickets_with_undelivered() == []


@pytest.mark.parametrize("bot", [{"coalesce_seconds": 1}], indirect=True)
async def test_each_message_is_marked_as_soon_as_its_own_part_went(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    # Two long messages become two group messages: the first holds all of the first message; the second fails.
    fake.fail_next("sendMessage", 500, "Internal Server Error", skip=1, chat_id=fake.group_id,
                   message_thread_id=thread)
    fake.person_says(PERSON, "a" * 3000)
    fake.person_says(PERSON, "b" * 3000)
    await until(lambda: any(call.answer == 500 for call in fake.calls_to("sendMessage", chat_id=fake.group_id)),
                timeout=8)
    await bot.run_job("redeliver")
    await until(lambda: not bot.store.tickets_with_undelivered())
    group = "".join(fake.texts_in(fake.group_id)).replace("\n", "")
    assert group.count("a" * 3000) == 1, "the first message was sent again"
    assert "b" * 3000 in group


async def test_a_slow_telegram_gets_the_answer_once_and_no_error_after_it(bot, caplog):
    fake = bot.fake
    fake.fail_next("sendMessage", SLOW, chat_id=PERSON)
    fake.person_says(PERSON, "how much rental deposit can a landlord ask")
    await until(lambda: len(fake.texts_in(PERSON)) == 1, timeout=10)
    await asyncio.sleep(6.5)  # the slow answer came, late
    texts = fake.texts_in(PERSON)
    assert len(texts) == 1 and "deposit" in texts[0].lower()
    assert not any("something went wrong" in text for text in texts)


# emergencies

async def test_an_emergency_answer_survives_a_run_of_429s(bot):
    fake = bot.fake
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=5, chat_id=PERSON)
    fake.person_says(PERSON, EMERGENCY)
    await until(lambda: count_in(fake.texts_in(PERSON), EMERGENCY_NUMBER) >= 1, timeout=15)
    await bot.run_job("redeliver")
    await asyncio.sleep(0.2)
    assert sum(EMERGENCY_NUMBER in text for text in fake.texts_in(PERSON)) == 1


async def test_an_emergency_answer_that_timed_out_is_sent_again_at_once(bot):
    fake = bot.fake
    fake.fail_next("sendMessage", HANG, chat_id=PERSON)
    fake.person_says(PERSON, EMERGENCY)
    await until(lambda: count_in(fake.texts_in(PERSON), EMERGENCY_NUMBER) >= 1, timeout=15)
    assert sum(EMERGENCY_NUMBER in text for text in fake.texts_in(PERSON)) == 1


async def test_an_emergency_answer_kept_before_a_crash_is_sent_after_the_start(bot):
    fake = bot.fake
    await bot.stop()
    person = bot.store.person("telegram", str(PERSON))
    bot.store.keep_answer(person.id, PERSON, [["Call <b>112</b> now", None]], update_id=999)
    await bot.start()
    await until(lambda: fake.texts_in(PERSON) == ["Call 112 now"])
    await bot.run_job("redeliver")
    assert fake.texts_in(PERSON) == ["Call 112 now"]


async def test_an_emergency_is_answered_ahead_of_a_crowd(engine, tmp_path):
    # Telegram takes about 30 messages a second from a bot; here 20, behind 200 new people (more than
    # the 64 updates handled at once: the emergency must not wait for a free place either).
    limiter = UrgentFirstRateLimiter(overall_max_rate=20, overall_time_period=1, group_max_rate=0)
    async with started_bot(engine, tmp_path, limiter=limiter) as bot:
        fake = bot.fake
        crowd = [10_000 + n for n in range(200)]
        for person in crowd:
            fake.person_says(person, "/start")
        await fake.wait_for("sendMessage", count=5, timeout=10)
        fake.person_says(PERSON, EMERGENCY)
        [answer] = await fake.wait_for("sendMessage", chat_id=PERSON, timeout=3)
        assert EMERGENCY_NUMBER in answer.params["text"]
        greeted = {call.params["chat_id"] for call in fake.calls_to("sendMessage") if call.at < answer.at}
        assert len(greeted & set(crowd)) < 40, "the emergency waited behind the crowd"


async def test_an_emergency_ticket_reaches_the_group_ahead_of_other_tickets(engine, tmp_path):
    # About 20 messages a minute go into one group; here 2 a second, behind 8 new tickets.
    limiter = UrgentFirstRateLimiter(overall_max_rate=0, group_max_rate=2, group_time_period=1)
    async with started_bot(engine, tmp_path, limiter=limiter) as bot:
        fake = bot.fake
        for n in range(8):
            fake.person_says(20_000 + n, "/human")
        await fake.wait_for("createForumTopic", timeout=5)
        fake.person_says(PERSON, EMERGENCY)
        await until(lambda: any("🚨" in call.params.get("text", "")
                                for call in fake.calls_to("sendMessage", chat_id=fake.group_id)), timeout=3)
        assert len(fake.calls_to("createForumTopic")) < 8


# what the bot posted about a person, deleted

async def test_retention_deletes_the_forum_topic_of_an_old_ticket(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.person_says(PERSON, "my story")
    fake.volunteer_says(VOLUNTEER, "/close", thread_id=thread)
    await fake.wait_for("closeForumTopic")
    bot.store.apply_retention(30, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31))
    await bot.run_job("redeliver")
    [deleted] = await fake.wait_for("deleteForumTopic")
    assert deleted.params["message_thread_id"] == thread


async def test_a_failed_topic_deletion_is_tried_again_until_it_succeeds(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.fail_next("deleteForumTopic", 500, "Internal Server Error")
    fake.person_says(PERSON, "/forget")
    await fake.wait_for("deleteForumTopic")
    assert bot.store.pending_erasures() != []
    await bot.run_job("redeliver")
    calls = await fake.wait_for("deleteForumTopic", count=2)
    assert calls[-1].answer == 200 and calls[-1].params["message_thread_id"] == thread
    assert bot.store.pending_erasures() == []


async def test_forget_without_topics_deletes_every_part_of_a_long_message(engine, tmp_path):
    async with started_bot(engine, tmp_path, forum=False) as bot:
        fake = bot.fake
        fake.person_says(PERSON, "/human")
        await until(lambda: bot.store.ticket(1) and bot.store.ticket(1).summary_message_id is not None)
        fake.person_says(PERSON, "Veldstraat 1 " * 700)  # 9,100 characters: three group messages
        await until(lambda: sum("Veldstraat" in text for text in fake.texts_in(fake.group_id)) == 3)
        fake.person_says(PERSON, "/forget")
        await until(lambda: "asked us to delete their data" in "\n".join(fake.texts_in(fake.group_id)))
        assert not any("Veldstraat" in text for text in fake.texts_in(fake.group_id))


# replay after a crash

async def test_replay_skips_a_stored_update_it_cannot_read_and_handles_the_rest(bot, caplog):
    fake = bot.fake
    await open_ticket(bot)
    await bot.stop()
    lost = [dict(fake.person_says(PERSON, f"after the bad one {n}"), update_id=1000 + n) for n in range(2)]
    fake._updates.clear()
    unreadable = {"update_id": 999, "message": {"message_id": "not a number", "chat": 5}}
    bot.store.receive_updates([unreadable, *lost])
    caplog.set_level("WARNING")
    await bot.start()
    await until(lambda: all(count_in(fake.texts_in(fake.group_id), f"after the bad one {n}") == 1 for n in range(2)))
    assert "cannot be read" in caplog.text


# volunteers see an emergency at once

async def test_an_emergency_ticket_starts_with_a_siren_names_the_danger_and_quotes_the_message(bot):
    fake = bot.fake
    fake.person_says(PERSON, EMERGENCY)
    [topic] = await fake.wait_for("createForumTopic")
    assert topic.params["name"].startswith("🚨 #1") and topic.params["name"].endswith("Emergency: suicide")
    [summary] = await fake.wait_for("sendMessage", chat_id=fake.group_id)
    assert f"«{EMERGENCY}»" in summary.params["text"]


async def test_a_ticket_that_becomes_an_emergency_is_renamed_and_told(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.person_says(PERSON, EMERGENCY)
    [renamed] = await fake.wait_for("editForumTopic")
    assert renamed.params["message_thread_id"] == thread and renamed.params["name"].startswith("🚨 #1")
    await until(lambda: any(f"«{EMERGENCY}»" in text for text in fake.texts_in(fake.group_id)))


@pytest.mark.parametrize("bot", [{"emergency_reminder_minutes": 0}], indirect=True)
async def test_an_unclaimed_emergency_is_recalled_again_and_again_until_claimed(bot):
    fake = bot.fake
    fake.person_says(PERSON, EMERGENCY)
    await until(lambda: bot.store.ticket(1) is not None and bot.store.ticket(1).summary_message_id is not None)
    thread = bot.store.ticket(1).thread_id

    def recalls() -> int:
        return sum("nobody has claimed it" in text for text in fake.texts_in(fake.group_id))

    for expected in (1, 2):
        await bot.run_job("remind_waiting")
        await until(lambda expected=expected: recalls() == expected)
    fake.volunteer_says(VOLUNTEER, "/claim", thread_id=thread)
    await until(lambda: bot.store.ticket(1).claimed_by == str(VOLUNTEER))
    await bot.run_job("remind_waiting")
    await asyncio.sleep(0.2)
    assert recalls() == 2
