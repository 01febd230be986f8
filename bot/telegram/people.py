"""Handlers for the people asking, in private chats with the bot; and the
admins' commands, which are given there too."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TimedOut
from telegram.ext import ContextTypes

from bot.assistant import Assistant, Reply
from bot.i18n import translator
from bot.people.limits import DROP, WARN, FloodLimit
from bot.publishing import Publisher
from bot.settings import Settings
from bot.people.store import Person, Source, Store, Ticket
from bot.telegram.relay import Relay
from bot.telegram.render import escaped_lines, pack

log = logging.getLogger(__name__)

ADMIN_COMMANDS = ("reload",)


class PersonHandlers:
    """Each handler reads the update, asks the assistant, sends the replies,
    and lets the relay know when a ticket opened, closed or got a message."""

    def __init__(self, assistant: Assistant, store: Store, relay: Relay, settings: Settings,
                 publisher: Publisher | None = None, flood: FloodLimit | None = None):
        self.assistant = assistant
        self.store = store
        self.relay = relay
        self.settings = settings
        self.publisher = publisher
        self.flood = flood or FloodLimit()

    def person(self, update: Update) -> Person:
        return self.store.person("telegram", str(update.effective_user.id))

    async def _slowed_down(self, update: Update) -> bool:
        """True when the person sends too fast; the first time they are told so."""
        verdict = self.flood.check(update.effective_user.id)
        if verdict == WARN:
            lang = self.assistant.language_of(self.person(update))
            await self._say(update, translator(lang).gettext(
                "You are sending messages very fast. Please wait a minute, then write again: "
                "until then I do not read new messages."))
        return verdict in (WARN, DROP)

    async def _say(self, update: Update, text: str) -> None:
        await _send_text(update.get_bot(), update.effective_chat.id, text)

    async def _run(self, update: Update, call, *args, placed: list[Ticket] | None = None) -> None:
        """Ask the assistant, answer, and sync the ticket; ``placed`` are the
        tickets to clear from the groups if the person is forgotten. The assistant runs
        on the event loop: matching takes about a millisecond (rapidfuzz's
        cdist releases the GIL anyway) and a thread hop cost a third of the
        throughput."""
        person = self.person(update)
        before = self.store.open_ticket_of(person.id)
        replies: list[Reply] = call(person, *args)
        forgotten = not self.store.person_exists(person.id)
        after = None if forgotten else self.store.open_ticket_of(person.id)
        chat = update.effective_chat.id
        for reply in replies:
            if reply.kind == "emergency":
                await self.relay.send_urgently(person.id, chat, reply, update.update_id)
        shown = [r for r in replies if r.kind not in ("relayed", "emergency")]
        try:
            await self.relay.send_replies(chat, shown)
        except Forbidden:
            log.info("person %s blocked the bot", person.id)
        except TimedOut:
            # Telegram may well have taken it: "something went wrong" after the answer would be wrong.
            log.warning("person %s: Telegram did not confirm an answer in time", person.id)
        if forgotten:
            await self.relay.person_forgotten(placed or [])
        elif after is not None and (before is None or before.id != after.id):
            await self.relay.open(after.id)
        elif after is not None and any(r.kind in ("relayed", "emergency") for r in replies):
            if any(r.kind == "emergency" for r in replies):
                await self.relay.alert(after.id)
            self.relay.person_wrote(after.id)
        elif before is not None and after is None:
            await self.relay.person_left(before)

    # commands

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, /language, /topics, /human, /cancel, /help, /privacy, /forget;
        /reload for admins; anything else gets the help."""
        if await self._slowed_down(update):
            return
        name = update.effective_message.text.split()[0].lstrip("/").split("@")[0].lower()
        if name in ADMIN_COMMANDS and update.effective_user.id in self.settings.admins and self.publisher:
            problems = await self.publisher.reload()
            await self._say(update, self.publisher.report(problems, self.settings.volunteer_language))
            return
        placed = self.store.placed_tickets(self.person(update).id) if name == "forget" else None
        await self._run(update, self.assistant.on_command, name, update.effective_user.language_code, placed=placed)

    # messages and buttons

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await self._slowed_down(update):
            return
        message = update.effective_message
        # A corrected message is read (or passed on) again, marked as a correction.
        text = f"✏️ {message.text}" if update.edited_message else message.text
        emergency = self.assistant.engine.emergency
        if emergency.slow:
            # Sentence embeddings take milliseconds; ctypes releases the GIL. The answer reuses the check.
            await asyncio.to_thread(emergency.check, text)
        await self._run(update, self.assistant.on_text, text, _source(update),
                        update.effective_user.language_code)

    async def media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await self._slowed_down(update):
            return
        message = update.effective_message
        await self._run(update, self.assistant.on_media, message.caption or "", _source(update))

    async def other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, locations, contacts, polls, dice…: nothing is kept; the person is told what works."""
        if await self._slowed_down(update):
            return
        lang = self.assistant.language_of(self.person(update))
        t = translator(lang)
        if update.effective_message.contact:
            await self._say(update, t.gettext(
                "I do not need contact details, and I did not keep them. Please write your question in words."))
        else:
            await self._say(update, t.gettext("I can only read text. Please write your question in words."))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if update.effective_chat is None or update.effective_chat.type != "private":
            await query.answer()  # a person's button can only be pressed in their own chat
            return
        await query.answer()
        if await self._slowed_down(update):
            return
        await self._run(update, self.assistant.on_button, query.data or "")

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Record the error and tell the person something went wrong."""
        log.error("error while handling an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
            lang = self.assistant.language_of(self.person(update))
            try:
                await context.bot.send_message(update.effective_chat.id, translator(lang).gettext(
                    "Sorry, something went wrong on our side. Please try again, or type /human."))
            except Exception:  # noqa: BLE001 - the error handler must never raise
                log.exception("could not tell the person about the error")

    # admins

    async def watch_files(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Reload when the knowledge files change, and tell the admins how it went."""
        if self.publisher is None or not self.publisher.changed():
            return
        problems = await self.publisher.reload()
        report = "📚 " + self.publisher.report(problems, self.settings.volunteer_language)
        for admin in self.settings.admins:
            try:
                await _send_text(context.bot, admin, report)
            except Exception as error:  # noqa: BLE001 - one unreachable admin must not stop the others
                log.warning("could not tell admin %s about the reload: %s", admin, error)


async def _send_text(bot: Bot, chat_id: int, text: str) -> None:
    """Plain text, escaped and split at Telegram's limit."""
    for html in pack(escaped_lines(text)):
        await bot.send_message(chat_id, html, parse_mode=ParseMode.HTML)


def _source(update: Update) -> Source:
    message = update.effective_message
    return Source(message.chat_id, message.message_id, update.update_id)
