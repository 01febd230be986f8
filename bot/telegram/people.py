"""Handlers for the people asking, in private chats with the bot."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot.assistant import Assistant, Reply
from bot.i18n import translator
from bot.store import Person, Store
from bot.telegram.relay import Relay

log = logging.getLogger(__name__)


class PersonHandlers:
    """Each handler reads the update, asks the assistant, sends the replies,
    and lets the relay know when a ticket opened, closed or got a message."""

    def __init__(self, assistant: Assistant, store: Store, relay: Relay):
        self.assistant = assistant
        self.store = store
        self.relay = relay

    def person(self, update: Update) -> Person:
        return self.store.person("telegram", str(update.effective_user.id))

    async def _run(self, update: Update, call, *args) -> None:
        """Ask the assistant, answer, and sync the ticket. The assistant runs on
        the event loop: matching takes about a millisecond (rapidfuzz's cdist
        releases the GIL anyway) and a thread hop cost a third of the throughput."""
        person = self.person(update)
        before = self.store.open_ticket_of(person.id)
        replies: list[Reply] = call(person, *args)
        after = self.store.open_ticket_of(person.id) if self.store.person_exists(person.id) else None
        shown = [r for r in replies if r.kind != "relayed"]
        try:
            await self.relay.send_replies(update.effective_chat.id, shown)
        except Forbidden:
            log.info("person %s blocked the bot", person.id)
        if after is not None and (before is None or before.id != after.id):
            await self.relay.open(after.id)
        elif after is not None and any(r.kind in ("relayed", "emergency") for r in replies):
            if any(r.kind == "emergency" for r in replies):
                await self.relay.alert(after.id)
            self.relay.person_wrote(after.id)
        if before is not None and after is None:
            await self.relay.person_left(before, deleted=not self.store.person_exists(person.id))

    # commands

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, /language, /topics, /human, /cancel, /help, /privacy, /forget; others get the help."""
        name = update.effective_message.text.split()[0].lstrip("/").split("@")[0]
        await self._run(update, self.assistant.on_command, name, update.effective_user.language_code)

    # messages and buttons

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        await self._run(update, self.assistant.on_text, message.text, (message.chat_id, message.message_id))

    async def media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        await self._run(update, self.assistant.on_media, message.caption or "", (message.chat_id, message.message_id))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer()
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
