"""Handlers for volunteers, in the configured volunteers' supergroups."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ContextTypes

from bot.i18n import translator
from bot.queue import queue_text
from bot.settings import Settings
from bot.store import Source, Store, Ticket
from bot.telegram.relay import Relay

log = logging.getLogger(__name__)

_MEMBERS = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER,
            ChatMemberStatus.RESTRICTED}


class VolunteerHandlers:
    def __init__(self, store: Store, relay: Relay, settings: Settings):
        self.store = store
        self.relay = relay
        self.settings = settings
        self.t = translator(settings.volunteer_language)

    async def may_act(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Configured admins, and members of the volunteers' group."""
        user = update.effective_user
        if user is None:
            return False
        if user.id in self.settings.admins:
            return True
        member = await context.bot.get_chat_member(update.effective_chat.id, user.id)
        return member.status in _MEMBERS

    def ticket_of(self, message: Message) -> Ticket | None:
        """The ticket a group message belongs to: by its topic, or (topics
        off) by the bot message it replies to."""
        if message.is_topic_message and message.message_thread_id:
            ticket = self.store.ticket_in_thread(message.chat_id, message.message_thread_id)
            if ticket is not None:
                return ticket
        replied = message.reply_to_message
        if replied is not None:
            return (self.store.ticket_in_thread(message.chat_id, replied.message_id)
                    or self.store.ticket_of_relayed_message(message.chat_id, replied.message_id))
        return None

    # messages from volunteers

    async def message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A volunteer's message in a ticket's topic goes to the person."""
        message = update.effective_message
        ticket = self.ticket_of(message)
        if ticket is None:
            return
        if ticket.status != "open":
            await message.reply_text(self.t.gettext("This ticket is closed; the person does not see this."))
            return
        kind = "text" if message.text else "media"
        text = message.text or message.caption or ""
        if update.edited_message:
            text = f"✏️ {text}"
        self.store.add_ticket_message(ticket.id, "volunteer", text, kind=kind,
                                      source=Source(message.chat_id, message.message_id, update.update_id))
        await self.relay.deliver_to_person(ticket.id)

    # commands and buttons

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/claim [name], /release, /close [note], /note text, /queue."""
        message = update.effective_message
        if not await self.may_act(update, context):
            return
        word, _, rest = message.text.partition(" ")
        word = word.split("@")[0].lstrip("/")
        if word == "queue":
            await message.reply_text(queue_text(self.store, self.settings.volunteer_language))
            return
        ticket = self.ticket_of(message)
        if ticket is None:
            await message.reply_text(self.t.gettext("Use this command inside a ticket's topic, or as a reply to it."))
            return
        await self.act(word, ticket, update, rest.strip() or None)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        parts = (query.data or "").split(":")
        ticket = self.store.ticket(int(parts[2])) if len(parts) == 3 and parts[2].isdigit() else None
        if ticket is None or parts[1] not in ("claim", "release", "close"):
            await query.answer(self.t.gettext("This button is no longer valid."))
            return
        if not await self.may_act(update, context):
            await query.answer(self.t.gettext("Only volunteers of this group can do that."), show_alert=True)
            return
        await query.answer()
        await self.act(parts[1], ticket, update, None)

    async def act(self, word: str, ticket: Ticket, update: Update, argument: str | None) -> None:
        user = update.effective_user
        who = user.first_name or str(user.id)
        message = update.effective_message
        if word == "claim":
            self.store.claim_ticket(ticket.id, str(user.id), argument)
            await message.reply_text(self.t.gettext("{volunteer} takes ticket #{number}.", volunteer=who, number=ticket.id))
        elif word == "release":
            self.store.claim_ticket(ticket.id, None, None)
            await message.reply_text(self.t.gettext("Ticket #{number} is free again.", number=ticket.id))
        elif word == "close":
            await self.relay.close(ticket.id, argument, who)
        elif word == "note":
            if argument:
                self.store.add_ticket_message(ticket.id, "note", argument)
                await message.reply_text("📝 " + self.t.gettext("Note kept; not sent to the person."))

    async def leave_foreign_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot serves only the configured volunteers' groups."""
        chat = update.effective_chat
        if chat is not None and chat.type in ("group", "supergroup", "channel"):
            log.warning("leaving unconfigured chat %s", chat.id)
            await context.bot.leave_chat(chat.id)
