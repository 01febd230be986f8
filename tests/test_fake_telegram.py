"""The fake Telegram server, driven by the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tests.fake_telegram import BOT_ID, TOKEN, FakeTelegram

PERSON = 42
VOLUNTEER = 7


class Echo:
    """A tiny bot: echoes text, and answers a button by editing its message."""

    def __init__(self) -> None:
        self.errors: asyncio.Queue[TelegramError] = asyncio.Queue()

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await update.effective_message.reply_text(update.effective_message.text)
        except TelegramError as error:
            await self.errors.put(error)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer()
        await query.edit_message_text(f"you chose {query.data}")

    async def next_error(self) -> TelegramError:
        return await asyncio.wait_for(self.errors.get(), 2)


def build(fake: FakeTelegram, echo: Echo) -> Application:
    """The real Application, pointed at the fake server."""
    app = ApplicationBuilder().token(TOKEN).base_url(fake.base_url).base_file_url(fake.base_file_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo.text))
    app.add_handler(CallbackQueryHandler(echo.button))
    return app


@asynccontextmanager
async def running(fake: FakeTelegram, echo: Echo) -> AsyncIterator[Application]:
    """Serve the fake and poll it with the echo bot for the duration of the block."""
    await fake.start()
    app = build(fake, echo)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await fake.stop()


@dataclass
class Harness:
    """The fake server, and the echo bot polling it."""

    fake: FakeTelegram
    app: Application
    echo: Echo

    @property
    def bot(self) -> Bot:
        return self.app.bot


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    """A running fake server with the echo bot polling it."""
    fake, echo = FakeTelegram(), Echo()
    async with running(fake, echo) as app:
        yield Harness(fake, app, echo)


async def test_start_up_follows_ptb_order(h):
    await h.fake.wait_for("getUpdates")
    assert [call.method for call in h.fake.calls[:3]] == ["getMe", "deleteWebhook", "getUpdates"]
    assert h.fake.calls_to("getUpdates")[0].params["timeout"] == 1


async def test_a_person_is_echoed(h):
    h.fake.person_says(PERSON, "hello")
    [call] = await h.fake.wait_for("sendMessage", chat_id=PERSON)
    assert call.params["text"] == "hello"


async def test_updates_count_up_and_commands_get_an_entity(h):
    first = h.fake.person_says(PERSON, "/start now")
    second = h.fake.person_says(PERSON, "again")
    assert second["update_id"] == first["update_id"] + 1
    assert second["message"]["message_id"] == first["message"]["message_id"] + 1
    assert first["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    await h.fake.wait_for("sendMessage", count=2, chat_id=PERSON)


async def test_a_button_is_answered_and_its_message_edited(h):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await h.bot.send_message(PERSON, "Sure?", reply_markup=keyboard)
    assert sent.from_user.id == BOT_ID and sent.reply_markup == keyboard
    assert h.fake.calls_to("sendMessage")[0].params["reply_markup"] == keyboard.to_dict()

    h.fake.person_presses(PERSON, "yes")
    await h.fake.wait_for("answerCallbackQuery")
    [edit] = await h.fake.wait_for("editMessageText", chat_id=PERSON, message_id=sent.message_id)
    assert edit.params["text"] == "you chose yes"


async def test_editing_to_the_same_content_is_refused(h):
    sent = await h.bot.send_message(PERSON, "same")
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await h.bot.edit_message_text("same", PERSON, sent.message_id)


async def test_a_blocked_person_gives_forbidden(h):
    h.fake.blocked.add(PERSON)
    h.fake.person_says(PERSON, "hello")
    error = await h.echo.next_error()
    assert isinstance(error, Forbidden)
    assert error.message == "Forbidden: bot was blocked by the user"


async def test_fail_next_gives_retry_after_once(h, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    h.fake.fail_next("sendMessage", 429, retry_after=3)
    h.fake.person_says(PERSON, "first")
    error = await h.echo.next_error()
    assert isinstance(error, RetryAfter)
    assert error.retry_after == dt.timedelta(seconds=3)

    h.fake.person_says(PERSON, "second")
    await h.fake.wait_for("sendMessage", text="second")
    assert h.echo.errors.empty()


async def test_volunteers_write_in_topics(h):
    topic = await h.bot.create_forum_topic(h.fake.group_id, "Ticket 1")
    h.fake.volunteer_says(VOLUNTEER, "on it", thread_id=topic.message_thread_id)
    [reply] = await h.fake.wait_for("sendMessage", chat_id=h.fake.group_id)
    assert reply.params["message_thread_id"] == topic.message_thread_id


async def test_a_topic_takes_the_groups_next_message_id_and_deleted_ones_fail(h):
    first = await h.bot.create_forum_topic(h.fake.group_id, "One")
    posted = await h.bot.send_message(h.fake.group_id, "in between")
    second = await h.bot.create_forum_topic(h.fake.group_id, "Two")
    assert (first.message_thread_id, posted.message_id, second.message_thread_id) == (1, 2, 3)
    assert first.name == "One" and first.icon_color == 7322096

    h.fake.deleted_threads.add(first.message_thread_id)
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await h.bot.send_message(h.fake.group_id, "hi", message_thread_id=first.message_thread_id)


async def test_a_group_without_topics_refuses_them():
    fake = FakeTelegram(forum=False)
    async with running(fake, Echo()) as app:
        with pytest.raises(BadRequest, match="(?i)the chat is not a forum"):
            await app.bot.create_forum_topic(fake.group_id, "One")


async def test_chat_members_follow_members(h):
    h.fake.add_member(VOLUNTEER, "administrator")
    assert (await h.bot.get_chat_member(h.fake.group_id, VOLUNTEER)).status == "administrator"
    assert (await h.bot.get_chat_member(h.fake.group_id, 99)).status == "left"
    for status in ("member", "creator", "kicked", "restricted"):
        h.fake.add_member(VOLUNTEER, status)
        assert (await h.bot.get_chat_member(h.fake.group_id, VOLUNTEER)).status == status


async def test_copies_carry_the_content(h):
    photo = h.fake.person_sends_photo(PERSON, caption="my letter")["message"]
    copied = await h.bot.copy_message(h.fake.group_id, PERSON, photo["message_id"])
    chat = await h.bot.get_chat(h.fake.group_id)
    assert chat.is_forum and chat.title == "Volunteers"
    forwarded = await h.bot.forward_message(h.fake.group_id, PERSON, photo["message_id"])
    assert forwarded.caption == "my letter" and forwarded.message_id == copied.message_id + 1


async def test_unknown_methods_are_not_found(h):
    with pytest.raises(EndPointNotFound):
        await h.bot.do_api_request("noSuchMethod")


async def test_wait_for_times_out_with_the_recent_calls(h):
    await h.bot.send_message(PERSON, "hello")
    with pytest.raises(AssertionError, match=r"(?s)sendMessage, chat_id=1.*'text': 'hello'"):
        await h.fake.wait_for("sendMessage", timeout=0.05, chat_id=1)


async def test_membership_is_per_chat_as_in_telegram(h):
    other_group = -1002000000002
    h.fake.add_member(VOLUNTEER, chat_id=other_group)
    assert (await h.bot.get_chat_member(other_group, VOLUNTEER)).status == "member"
    assert (await h.bot.get_chat_member(h.fake.group_id, VOLUNTEER)).status == "left"
    # In a person's own private chat, Telegram calls the person a member.
    assert (await h.bot.get_chat_member(PERSON, PERSON)).status == "member"
    h.fake.add_member(VOLUNTEER, "restricted", is_member=False)
    assert (await h.bot.get_chat_member(h.fake.group_id, VOLUNTEER)).is_member is False


async def test_message_ids_are_counted_per_chat(h):
    in_group = await h.bot.send_message(h.fake.group_id, "to the group")
    in_private = await h.bot.send_message(PERSON, "to the person")
    assert in_group.message_id == in_private.message_id == 1
