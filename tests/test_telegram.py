"""End to end: the real python-telegram-bot Application, over HTTP, against
the fake Bot API server on 127.0.0.1. Each test is a short story."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.settings import OfficeHours
from tests.telegram_bot import PERSON, STRANGER, VOLUNTEER, open_ticket, started_bot, until


async def test_a_question_in_arabic_is_answered_in_arabic(bot):
    bot.fake.person_says(PERSON, "/start", language_code="ar")
    [greeting] = await bot.fake.wait_for("sendMessage", chat_id=PERSON)  # greeting and picker in one message
    assert "lang:ar" in str(greeting.params["reply_markup"])
    bot.fake.person_presses(PERSON, "lang:ar")
    await bot.fake.wait_for("sendMessage", count=2, chat_id=PERSON)
    bot.fake.person_says(PERSON, "كم مبلغ الضمانة اللي بيطلبها صاحب البيت بفلاندرز؟")
    answer = (await bot.fake.wait_for("sendMessage", count=3, chat_id=PERSON))[-1]
    assert answer.params["parse_mode"] == "HTML"
    assert "ضمان" in answer.params["text"] and "woninghuur.vlaanderen" in answer.params["text"]
    actions = [b["callback_data"] for row in answer.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "up:housing.rental-deposit" in actions and "human" in actions


async def test_did_you_mean_buttons_lead_to_the_answer(bot):
    texts = ["kosten", "school", "huur", "papieren kwijt"]
    text = next((t for t in texts if bot.engine.understand(t).action == "clarify"), None)
    assert text is not None, "one of these should be ambiguous"
    candidates = bot.engine.understand(text).candidates
    bot.fake.person_says(PERSON, text)
    [offer] = await bot.fake.wait_for("sendMessage", chat_id=PERSON)
    actions = [b["callback_data"] for row in offer.params["reply_markup"]["inline_keyboard"] for b in row]
    assert actions == [f"entry:{c}" for c in candidates] + ["none"]
    bot.fake.person_presses(PERSON, actions[0])
    await bot.fake.wait_for("answerCallbackQuery")
    answer = (await bot.fake.wait_for("sendMessage", count=2, chat_id=PERSON))[-1]
    title = bot.engine.knowledge.entries[candidates[0]].title["en"]
    assert title.split()[0] in answer.params["text"]


async def test_a_volunteer_chat_from_start_to_close(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    [topic] = fake.calls_to("createForumTopic")
    assert topic.params["name"].startswith("#1 · English")
    summary = fake.calls_to("sendMessage", chat_id=fake.group_id)[0]
    assert "Amina" not in summary.params["text"] and str(PERSON) not in summary.params["text"]

    fake.volunteer_says(VOLUNTEER, "Hello, I can help. What is your question?", thread_id=thread)
    relayed = (await fake.wait_for("sendMessage", count=2, chat_id=PERSON))[-1]
    assert "Hello, I can help" in relayed.params["text"] and "Sara" not in relayed.params["text"]

    fake.person_says(PERSON, "My landlord keeps my deposit")
    to_group = await fake.wait_for("sendMessage", count=2, chat_id=fake.group_id, message_thread_id=thread)
    assert "My landlord keeps my deposit" in to_group[-1].params["text"]

    fake.volunteer_says(VOLUNTEER, "/close answered about the deposit", thread_id=thread)
    await fake.wait_for("closeForumTopic")
    closed = (await fake.wait_for("sendMessage", count=3, chat_id=PERSON))[-1]
    actions = [b["callback_data"] for row in closed.params["reply_markup"]["inline_keyboard"] for b in row]
    assert actions == ["reopen"]
    assert bot.store.open_tickets() == []

    fake.person_presses(PERSON, "reopen")
    await fake.wait_for("reopenForumTopic")
    assert [t.id for t in bot.store.open_tickets()] == [1]


async def test_photos_pass_both_ways(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.person_sends_photo(PERSON, caption="the letter I got")
    [to_group] = await fake.wait_for("copyMessage", chat_id=fake.group_id)
    assert to_group.params["from_chat_id"] == PERSON and to_group.params["message_thread_id"] == thread
    fake.volunteer_sends_photo(VOLUNTEER, thread_id=thread, caption="fill in this part")
    [to_person] = await fake.wait_for("copyMessage", chat_id=PERSON)
    assert to_person.params["from_chat_id"] == fake.group_id


async def test_a_photo_without_a_ticket_gets_an_explanation(bot):
    bot.fake.person_sends_photo(PERSON)
    [reply] = await bot.fake.wait_for("sendMessage", chat_id=PERSON)
    assert "only read text" in reply.params["text"]
    assert bot.fake.calls_to("copyMessage") == []


async def test_someone_outside_the_group_cannot_claim(bot):
    fake = bot.fake
    await open_ticket(bot)
    summary = fake.calls_to("sendMessage", chat_id=fake.group_id)[0]
    message_id = 1  # the summary is the first bot message in the group
    fake.volunteer_presses(STRANGER, "t:claim:1", message_id=message_id, thread_id=summary.params["message_thread_id"])
    [answer] = await fake.wait_for("answerCallbackQuery")
    assert answer.params.get("show_alert") in (True, "true", "True")
    assert bot.store.ticket(1).claimed_by is None
    fake.volunteer_presses(VOLUNTEER, "t:claim:1", message_id=message_id, thread_id=summary.params["message_thread_id"])
    await fake.wait_for("answerCallbackQuery", count=2)
    await asyncio.sleep(0.1)
    assert bot.store.ticket(1).claimed_by == str(VOLUNTEER)


async def test_the_relay_goes_on_after_a_restart(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    await bot.stop()
    await bot.start()
    fake.volunteer_says(VOLUNTEER, "Still here after the restart", thread_id=thread)
    relayed = (await fake.wait_for("sendMessage", count=2, chat_id=PERSON))[-1]
    assert "Still here after the restart" in relayed.params["text"]


async def test_a_person_who_blocked_the_bot_closes_the_ticket(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.blocked.add(PERSON)
    fake.volunteer_says(VOLUNTEER, "Are you still there?", thread_id=thread)
    notice = await fake.wait_for("sendMessage", count=2, chat_id=fake.group_id, message_thread_id=thread)
    assert "blocked the bot" in notice[-1].params["text"]
    assert bot.store.open_tickets() == []


async def test_telegram_flood_limits_and_server_errors_lose_nothing(bot):
    fake = bot.fake
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    fake.person_says(PERSON, "how much rental deposit can a landlord ask")
    answers = await fake.wait_for("sendMessage", count=2, chat_id=PERSON, timeout=8)
    assert "deposit" in answers[-1].params["text"].lower()
    fake.fail_next("sendMessage", 500, "Internal Server Error")
    fake.person_says(PERSON, "how do I find a general practitioner")
    sorry = (await fake.wait_for("sendMessage", count=4, chat_id=PERSON, timeout=8))[-1]
    assert "something went wrong" in sorry.params["text"]
    fake.person_says(PERSON, "how do I find a general practitioner")
    again = (await fake.wait_for("sendMessage", count=5, chat_id=PERSON))[-1]
    assert "doctor" in again.params["text"].lower() or "GP" in again.params["text"]


async def test_forget_leaves_no_row_of_the_person(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.person_says(PERSON, "my private story")
    await fake.wait_for("sendMessage", count=2, chat_id=fake.group_id, message_thread_id=thread)
    person_id = bot.store.person("telegram", str(PERSON)).id
    fake.person_says(PERSON, "/forget")
    [deleted] = await fake.wait_for("deleteForumTopic")
    assert deleted.params["message_thread_id"] == thread
    notices = await fake.wait_for("sendMessage", count=3, chat_id=fake.group_id)
    assert "asked us to delete their data" in notices[-1].params["text"]
    assert "message_thread_id" not in notices[-1].params
    assert bot.store.count_rows(person_id) == 0


async def test_other_groups_are_left(bot):
    bot.fake.volunteer_says(VOLUNTEER, "hello bot", chat_id=-1009999999999)
    [left] = await bot.fake.wait_for("leaveChat")
    assert left.params["chat_id"] == -1009999999999


@pytest.mark.parametrize("bot", [{"coalesce_seconds": 1}], indirect=True)
async def test_a_burst_of_messages_reaches_the_group_as_one(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    for text in ("I got a letter", "from the OCMW", "what does it mean?"):
        fake.person_says(PERSON, text)
    [relayed] = (await fake.wait_for("sendMessage", count=2, chat_id=fake.group_id, message_thread_id=thread))[1:]
    assert relayed.params["text"].splitlines()[1:] == ["I got a letter", "from the OCMW", "what does it mean?"]
    await asyncio.sleep(1.5)
    assert len(fake.calls_to("sendMessage", chat_id=fake.group_id, message_thread_id=thread)) == 2


async def test_a_deleted_topic_is_made_again(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.deleted_threads.add(thread)
    fake.person_says(PERSON, "are you there?")
    topics = await fake.wait_for("createForumTopic", count=2)
    await until(lambda: bot.store.ticket(1).thread_id != thread)
    new_thread = bot.store.ticket(1).thread_id
    [relayed] = (await fake.wait_for("sendMessage", count=2, chat_id=fake.group_id, message_thread_id=new_thread))[1:]
    assert "are you there?" in relayed.params["text"]
    assert len(topics) == 2


@pytest.mark.parametrize("bot", [{"reminder_minutes": 0}], indirect=True)
async def test_an_unclaimed_ticket_is_recalled_to_the_group(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    await bot.run_job("remind_waiting")
    reminders = await fake.wait_for("sendMessage", count=2, chat_id=fake.group_id, message_thread_id=thread)
    assert "has waited more than 0 minutes" in reminders[-1].params["text"]
    await bot.run_job("remind_waiting")
    await asyncio.sleep(0.2)
    assert len(fake.calls_to("sendMessage", chat_id=fake.group_id, message_thread_id=thread)) == 2


@pytest.mark.parametrize("bot", [{"office_hours": OfficeHours(opens=dt.time(0), closes=dt.time(0))}], indirect=True)
async def test_outside_office_hours_the_person_knows_when_to_expect_an_answer(bot):
    bot.fake.person_says(PERSON, "/human")
    [reply] = await bot.fake.wait_for("sendMessage", chat_id=PERSON)
    assert "Volunteers usually answer" in reply.params["text"]


async def test_group_tickets_without_topics_are_replies(engine, tmp_path):
    async with started_bot(engine, tmp_path, forum=False) as bot:
        fake, store = bot.fake, bot.store
        fake.person_says(PERSON, "/human")
        [summary] = await fake.wait_for("sendMessage", chat_id=fake.group_id)
        assert summary.params.get("message_thread_id") is None
        await until(lambda: store.ticket(1).summary_message_id is not None)
        fake.volunteer_says(VOLUNTEER, "Hello from a plain group", reply_to_message_id=store.ticket(1).summary_message_id)
        relayed = (await fake.wait_for("sendMessage", count=2, chat_id=PERSON))[-1]
        assert "Hello from a plain group" in relayed.params["text"]


def _actions(call) -> dict[str, str]:
    """Button label → callback data of a sent message."""
    return {b["text"]: b["callback_data"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row}


async def test_a_guided_conversation_with_buttons_ends_with_a_volunteer(bot):
    fake = bot.fake
    fake.person_says(PERSON, "/topics")
    [topics] = await fake.wait_for("sendMessage", chat_id=PERSON)
    fake.person_presses(PERSON, _actions(topics)["🧭 Leaving the reception centre"])
    question = (await fake.wait_for("sendMessage", count=2, chat_id=PERSON))[-1]
    assert "<b>Leaving the reception centre</b>" in question.params["text"]
    assert "Did you get protection (refugee status or subsidiary protection)?" in question.params["text"]
    fake.person_presses(PERSON, _actions(question)["Yes, I got protection"])
    question = (await fake.wait_for("sendMessage", count=3, chat_id=PERSON))[-1]
    fake.person_presses(PERSON, _actions(question)["Not yet"])
    question = (await fake.wait_for("sendMessage", count=4, chat_id=PERSON))[-1]
    assert "registered your new address" in question.params["text"]
    # Back, then a negative decision instead: the conversation hands over to a volunteer.
    fake.person_presses(PERSON, _actions(question)["◀ Back"])
    question = (await fake.wait_for("sendMessage", count=5, chat_id=PERSON))[-1]
    fake.person_presses(PERSON, _actions(question)["◀ Back"])
    question = (await fake.wait_for("sendMessage", count=6, chat_id=PERSON))[-1]
    fake.person_presses(PERSON, _actions(question)["No, a negative decision"])
    await fake.wait_for("createForumTopic")
    [summary] = await fake.wait_for("sendMessage", chat_id=fake.group_id)
    assert "[leave-centre: No, a negative decision]" in summary.params["text"]
    assert bot.store.open_ticket_of(bot.store.person("telegram", str(PERSON)).id).topic == "housing"


async def test_forget_without_topics_deletes_the_summary_and_the_relayed_messages(engine, tmp_path):
    async with started_bot(engine, tmp_path, forum=False) as bot:
        fake = bot.fake
        fake.person_says(PERSON, "/human")
        await until(lambda: bot.store.ticket(1) and bot.store.ticket(1).summary_message_id is not None)
        fake.person_says(PERSON, "my address is Veldstraat 1")
        await until(lambda: "my address is Veldstraat 1" in "\n".join(fake.texts_in(fake.group_id)))
        fake.person_says(PERSON, "/forget")
        await fake.wait_for("deleteMessage", count=2)
        await until(lambda: "asked us to delete their data" in "\n".join(fake.texts_in(fake.group_id)))
        assert not any("Veldstraat" in text or "#1 ·" in text for text in fake.texts_in(fake.group_id))


async def test_the_retention_job_runs_in_the_bot(bot, caplog):
    caplog.set_level("INFO")
    await bot.run_job("retention")
    assert "retention (180 days): deleted" in caplog.text
