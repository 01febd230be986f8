"""Handlers for volunteers, in the configured volunteers' supergroups.

Who may act on a ticket is asked of the ticket's own group, never of the
chat a button was pressed in: in a person's private chat Telegram calls the
person a "member". A group message reaches a person only when it belongs to
their ticket: in a forum by the ticket's topic alone (every plain message in
a topic "replies" to the topic's first message), without topics by the bot
message of this very group it replies to (message ids are counted per chat).
"""

from __future__ import annotations

import logging

from telegram import ChatMemberRestricted, Message, Update, User
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import translator
from bot.people.queue import queue_text
from bot.settings import Settings
from bot.people.store import Source, Store, Ticket
from bot.telegram.relay import Relay

log = logging.getLogger(__name__)

_MEMBERS = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
# A /claim name is shown before every message to the person: short enough never to make one too long.
MAX_VOLUNTEER_NAME = 64


class VolunteerHandlers:
    def __init__(self, store: Store, relay: Relay, settings: Settings):
        self.store = store
        self.relay = relay
        self.settings = settings
        self.t = translator(settings.volunteer_language)

    def _configured(self, chat_id: int | None) -> bool:
        return any(group.chat_id == chat_id for group in self.settings.groups)

    async def may_act(self, user: User | None, group_id: int, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Configured admins, and members of ``group_id``: a ticket's own group."""
        if user is None:
            return False
        if user.id in self.settings.admins:
            return True
        try:
            member = await context.bot.get_chat_member(group_id, user.id)
        except BadRequest:  # "user not found", "chat not found": not a member
            return False
        if isinstance(member, ChatMemberRestricted):
            return member.is_member
        return member.status in _MEMBERS

    def _group_of(self, ticket: Ticket) -> int:
        """The group a ticket lives in (or will, before its topic exists)."""
        if ticket.group_id is not None:
            return ticket.group_id
        return self.settings.group_for(ticket.language, ticket.topic)

    def ticket_of(self, message: Message) -> Ticket | None:
        """The ticket a group message belongs to, or None: then it stays in the group."""
        if message.chat.is_forum:
            if not (message.is_topic_message and message.message_thread_id):
                return None  # the General topic
            return self.store.ticket_in_topic(message.chat_id, message.message_thread_id)
        replied = message.reply_to_message
        return self.store.ticket_of_group_message(message.chat_id, replied.message_id) if replied else None

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
        word, _, rest = message.text.partition(" ")
        word = word.split("@")[0].lstrip("/")
        if word == "queue":
            if await self.may_act(update.effective_user, message.chat_id, context):
                await message.reply_text(queue_text(self.store, self.settings.volunteer_language))
            return
        ticket = self.ticket_of(message)
        if ticket is None:
            if await self.may_act(update.effective_user, message.chat_id, context):
                await message.reply_text(self.t.gettext("Use this command inside a ticket's topic, or as a reply to it."))
            return
        if await self.may_act(update.effective_user, self._group_of(ticket), context):
            await self.act(word, ticket, update, rest.strip() or None)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        parts = (query.data or "").split(":")
        ticket = self.store.ticket(int(parts[2])) if len(parts) == 3 and parts[2].isdigit() else None
        # A ticket button works only in the volunteers' groups: data can be forged in any chat.
        outside = update.effective_chat is None or not self._configured(update.effective_chat.id)
        if outside or ticket is None or parts[1] not in ("claim", "release", "close"):
            await query.answer(self.t.gettext("This button is no longer valid."))
            return
        if not await self.may_act(update.effective_user, self._group_of(ticket), context):
            await query.answer(self.t.gettext("Only volunteers of this group can do that."), show_alert=True)
            return
        await query.answer()
        await self.act(parts[1], ticket, update, None)

    async def act(self, word: str, ticket: Ticket, update: Update, argument: str | None) -> None:
        user = update.effective_user
        # Names are not kept in stored updates: one replayed after a crash has none.
        who = (user.first_name or self.t.gettext("a volunteer"))[:MAX_VOLUNTEER_NAME]
        message = update.effective_message
        if word == "claim":
            self.store.claim_ticket(ticket.id, str(user.id), argument[:MAX_VOLUNTEER_NAME] if argument else None)
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
