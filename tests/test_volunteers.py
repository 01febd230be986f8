"""The volunteers' side, end to end against the fake Bot API server, which
counts message ids per chat and answers getChatMember per chat, as Telegram
does: a volunteer's message reaches only the person of its ticket, and only
volunteers of a ticket's own group can claim, release or close it."""

from __future__ import annotations

import asyncio

from bot.settings import VolunteerGroup
from bot.telegram.volunteers import MAX_VOLUNTEER_NAME
from tests.telegram_bot import PERSON, STRANGER, VOLUNTEER, open_ticket, started_bot, until

OTHER_GROUP = -1002000000002


def texts_to(fake, chat_id: int) -> list[str]:
    return [call.params["text"] for call in fake.calls_to("sendMessage", chat_id=chat_id)]


async def a_young_group_with_a_ticket(bot) -> int:
    """A ticket, and enough relayed messages on both sides that message ids
    of the group and of the person's chat overlap; returns the ticket's topic."""
    thread = await open_ticket(bot)
    for n in range(4):
        bot.fake.volunteer_says(VOLUNTEER, f"answer {n}", thread_id=thread)
        bot.fake.person_says(PERSON, f"question {n}")
    await until(lambda: sum("answer 3" in text for text in texts_to(bot.fake, PERSON)) == 1)
    await until(lambda: not bot.store.tickets_with_undelivered())
    return thread


async def test_a_post_in_the_volunteers_own_topic_stays_in_the_group(bot):
    fake = bot.fake
    await a_young_group_with_a_ticket(bot)
    before = len(texts_to(fake, PERSON))
    # Every plain message in a topic replies to the topic's first message, whose id may be any person's.
    for n in range(6):
        coordination = fake.volunteers_make_topic(VOLUNTEER, f"Coordination {n}")
        fake.volunteer_says(VOLUNTEER, f"INTERNAL {n}: who can take the Syrian family tomorrow?",
                            thread_id=coordination)
    fake.person_says(PERSON, "still there?")
    await until(lambda: any("still there?" in text for text in fake.texts_in(fake.group_id)))
    await asyncio.sleep(0.2)
    assert not any("INTERNAL" in text for text in texts_to(fake, PERSON))
    assert len(texts_to(fake, PERSON)) == before


async def test_a_reply_in_the_general_topic_stays_in_the_group(bot):
    fake = bot.fake
    await a_young_group_with_a_ticket(bot)
    before = len(texts_to(fake, PERSON))
    for message_id in range(1, 12):  # replies to bot messages whose ids the person's chat has too
        fake.volunteer_says(VOLUNTEER, f"GENERAL {message_id}: shift plan", reply_to_message_id=message_id)
    fake.person_says(PERSON, "hello?")
    await until(lambda: any("hello?" in text for text in fake.texts_in(fake.group_id)))
    await asyncio.sleep(0.2)
    assert not any("GENERAL" in text for text in texts_to(fake, PERSON))
    assert len(texts_to(fake, PERSON)) == before


async def test_without_topics_each_reply_reaches_its_own_person(engine, tmp_path):
    people = [PERSON + n for n in range(6)]
    async with started_bot(engine, tmp_path, forum=False) as bot:
        fake, store = bot.fake, bot.store
        for n, person in enumerate(people, start=1):
            fake.person_says(person, "/human")
            await until(lambda n=n: store.ticket(n) is not None and store.ticket(n).summary_message_id is not None)
            fake.person_says(person, f"I am person {n}")
        await until(lambda: not store.tickets_with_undelivered() and len(fake.texts_in(fake.group_id)) >= 12)
        for n, person in enumerate(people, start=1):
            [relayed] = [m for (chat, _), m in fake._messages.items()
                         if chat == fake.group_id and f"I am person {n}" in m.get("text", "")]
            fake.volunteer_says(VOLUNTEER, f"for person {n}", reply_to_message_id=relayed["message_id"])
            fake.volunteer_says(VOLUNTEER, f"also for person {n}", reply_to_message_id=store.ticket(n).summary_message_id)
        await until(lambda: sum(len(texts_to(fake, p)) for p in people) >= 3 * len(people))
        await asyncio.sleep(0.2)
        for n, person in enumerate(people, start=1):
            received = [text for text in texts_to(fake, person) if "for person" in text]
            assert received == [f"<b>Volunteer:</b> for person {n}", f"<b>Volunteer:</b> also for person {n}"]


async def test_a_forged_close_from_a_private_chat_does_nothing(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.person_says(STRANGER, "hello")
    await fake.wait_for("sendMessage", chat_id=STRANGER)
    # In the stranger's own private chat Telegram would call them a "member".
    for action in ("close", "claim", "release"):
        fake.person_presses(STRANGER, f"t:{action}:1")
    await fake.wait_for("answerCallbackQuery", count=3)
    await asyncio.sleep(0.2)
    ticket = bot.store.ticket(1)
    assert ticket.status == "open" and ticket.claimed_by is None
    assert not any("closed" in text for text in texts_to(fake, PERSON))
    assert not any("Closed by" in text or "takes ticket" in text
                   for text in fake.texts_in(fake.group_id)), "the group read the attacker's name"
    assert len(fake.calls_to("sendMessage", chat_id=fake.group_id, message_thread_id=thread)) == 1


async def test_the_creator_of_another_group_cannot_claim(bot):
    fake = bot.fake
    await open_ticket(bot)
    fake.add_member(STRANGER, "creator", chat_id=OTHER_GROUP)
    fake.volunteer_presses(STRANGER, "t:claim:1", message_id=1, chat_id=OTHER_GROUP)
    await fake.wait_for("answerCallbackQuery")
    await asyncio.sleep(0.2)
    assert bot.store.ticket(1).claimed_by is None


async def test_a_member_of_one_group_cannot_act_on_the_tickets_of_another(engine, tmp_path):
    groups = (VolunteerGroup(-1001000000001, frozenset({"en"})), VolunteerGroup(OTHER_GROUP))
    async with started_bot(engine, tmp_path, groups=groups) as bot:
        fake = bot.fake
        await open_ticket(bot)  # English: the first group
        fake.add_member(STRANGER, chat_id=OTHER_GROUP)
        fake.volunteer_presses(STRANGER, "t:close:1", message_id=1, chat_id=OTHER_GROUP)
        fake.volunteer_says(STRANGER, "/claim", chat_id=OTHER_GROUP, reply_to_message_id=1)
        await fake.wait_for("answerCallbackQuery")
        await asyncio.sleep(0.3)
        assert bot.store.ticket(1).status == "open" and bot.store.ticket(1).claimed_by is None
        fake.volunteer_presses(VOLUNTEER, "t:claim:1", message_id=1)
        await until(lambda: bot.store.ticket(1).claimed_by == str(VOLUNTEER))


async def test_a_restricted_user_who_is_no_member_cannot_claim(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.add_member(STRANGER, "restricted", is_member=False)
    fake.volunteer_presses(STRANGER, "t:claim:1", message_id=1, thread_id=thread)
    [answer] = await fake.wait_for("answerCallbackQuery")
    assert "Only volunteers" in answer.params.get("text", "")
    assert bot.store.ticket(1).claimed_by is None
    fake.add_member(STRANGER, "restricted", is_member=True)
    fake.volunteer_presses(STRANGER, "t:claim:1", message_id=1, thread_id=thread)
    await until(lambda: bot.store.ticket(1).claimed_by == str(STRANGER))


async def test_a_very_long_claim_name_is_cut_and_blocks_nothing(bot):
    fake = bot.fake
    thread = await open_ticket(bot)
    fake.volunteer_says(VOLUNTEER, "/claim " + "Sara" * 900, thread_id=thread)
    await until(lambda: bot.store.ticket(1).claimed_by == str(VOLUNTEER))
    assert len(bot.store.ticket(1).volunteer_name) == MAX_VOLUNTEER_NAME
    fake.volunteer_says(VOLUNTEER, "Hello, how can I help?", thread_id=thread)
    fake.volunteer_says(VOLUNTEER, "Are you there?", thread_id=thread)
    await until(lambda: sum("Are you there?" in text for text in texts_to(fake, PERSON)) == 1)
    assert all(call.answer == 200 for call in fake.calls_to("sendMessage", chat_id=PERSON))
