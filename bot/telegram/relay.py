"""Tickets in the volunteers' group, and messages passed both ways.

Every message is stored first and marked delivered only once Telegram
accepted it, so a restart, a Telegram error or a deleted topic never loses
one: what is still undelivered is sent again when the bot starts and every
half minute after that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes, JobQueue

from bot.assistant import Assistant
from bot.i18n import native_name, translator
from bot.settings import Settings
from bot.store import Store, Ticket, TicketMessage
from bot.telegram.render import escape, escaped_lines, messages, pack

log = logging.getLogger(__name__)

_SUMMARY_EXCHANGES = 5
REDELIVERY_SECONDS = 30


def ticket_keyboard(ticket_id: int, volunteer_language: str) -> InlineKeyboardMarkup:
    t = translator(volunteer_language)
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(t.gettext("Claim"), callback_data=f"t:claim:{ticket_id}"),
        InlineKeyboardButton(t.gettext("Release"), callback_data=f"t:release:{ticket_id}"),
        InlineKeyboardButton(t.gettext("Close"), callback_data=f"t:close:{ticket_id}"),
    ]])


def _thread_missing(error: BadRequest) -> bool:
    return "thread not found" in error.message.lower() or "topic_deleted" in error.message.lower()


class Relay:
    """Opens tickets in the volunteers' group and passes messages both ways."""

    def __init__(self, bot: Bot, store: Store, assistant: Assistant, settings: Settings, jobs: JobQueue | None):
        self.bot = bot
        self.store = store
        self.assistant = assistant
        self.settings = settings
        self.jobs = jobs
        self.t = translator(settings.volunteer_language)
        # One delivery at a time per ticket and direction: a second one would send what the first is sending.
        self._delivering: defaultdict[tuple[int, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        # One placement at a time per ticket: two would make two forum topics.
        self._placing: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    # the ticket's place in the group

    def topic_name(self, ticket: Ticket) -> str:
        language = native_name(ticket.language) if ticket.language else "?"
        topics = self.assistant.engine.knowledge.topics
        topic = topics[ticket.topic].title.get(self.settings.volunteer_language) if ticket.topic in topics else None
        return " · ".join(filter(None, [f"#{ticket.id}", language, topic]))[:128]

    def summary(self, ticket: Ticket) -> str:
        """What volunteers read first: what the person asked, what the bot did."""
        entries = self.assistant.engine.knowledge.entries
        lines = [f"<b>{escape(self.topic_name(ticket))}</b>"]
        if ticket.emergency:
            lines.append("🚨 " + escape(self.t.gettext("Emergency: the person got the emergency numbers.")))
        lines.append(escape(self.t.gettext("Waiting since {time} UTC.", time=ticket.created[11:16])))
        exchanges = self.store.recent_exchanges(ticket.person_id, _SUMMARY_EXCHANGES)
        if exchanges:
            lines.append(escape(self.t.gettext("Recent questions:")))
        for exchange in exchanges:
            lines.append(f"• <i>{escape(exchange['text'][:300])}</i>")
            titles = [entries[c].title.get("en", c) for c in exchange["candidates"] if c in entries]
            if exchange["entry_id"] in entries:
                outcome = self.t.gettext("answered: {title}", title=entries[exchange["entry_id"]].title.get("en"))
            elif exchange["action"] == "clarify":
                outcome = self.t.gettext("offered: {titles}", titles=", ".join(titles))
            else:
                outcome = self.t.gettext("no answer (considered: {titles})", titles=", ".join(titles) or "-")
            lines.append(f"   → {escape(outcome)} ({exchange['action']}, {exchange['score']:.2f})")
        lines.append(escape(self.t.gettext("Reply in this topic to write to the person. /note text stays here.")))
        return "\n".join(lines)

    async def open(self, ticket_id: int) -> None:
        """Give the ticket its forum topic and summary (or reopen them)."""
        ticket = self.store.ticket(ticket_id)
        if ticket is None:
            return
        if ticket.summary_message_id is not None:
            await self._post(ticket, "🔄 " + escape(self.t.gettext("The person reopened the conversation.")))
            if ticket.thread_id is not None:
                await self._quietly(self.bot.reopen_forum_topic(ticket.group_id, ticket.thread_id))
            return
        await self.deliver_to_volunteers(ticket_id)

    async def _place(self, ticket: Ticket, lost_thread: int | None = None) -> Ticket:
        """The ticket's topic and summary in the group, made once. With
        ``lost_thread`` (a topic a volunteer deleted) a new topic replaces it."""
        async with self._placing[ticket.id]:
            ticket = self.store.ticket(ticket.id)
            if ticket.group_id is None or (lost_thread is not None and ticket.thread_id == lost_thread):
                group = self.settings.group_for(ticket.language, ticket.topic)
                thread = None
                try:
                    topic = await self.bot.create_forum_topic(group, self.topic_name(ticket))
                    thread = topic.message_thread_id
                except BadRequest as error:
                    if "not a forum" not in error.message.lower():
                        raise
                # Stored at once: a crash before the summary is sent must not make a second topic.
                self.store.place_ticket(ticket.id, group, thread, None)
                ticket = self.store.ticket(ticket.id)
            if ticket.summary_message_id is None:
                summary = await self.bot.send_message(
                    ticket.group_id, self.summary(ticket), parse_mode=ParseMode.HTML,
                    message_thread_id=ticket.thread_id,
                    reply_markup=ticket_keyboard(ticket.id, self.settings.volunteer_language))
                self.store.place_ticket(ticket.id, ticket.group_id, ticket.thread_id, summary.message_id)
                ticket = self.store.ticket(ticket.id)
            return ticket

    async def _post(self, ticket: Ticket, html: str) -> None:
        """A line from the bot in the ticket's place in the group."""
        if ticket.group_id is None:
            return
        try:
            await self.bot.send_message(ticket.group_id, html, parse_mode=ParseMode.HTML,
                                        message_thread_id=ticket.thread_id,
                                        reply_to_message_id=None if ticket.thread_id else ticket.summary_message_id)
        except BadRequest as error:
            if not _thread_missing(error):
                raise
            ticket = await self._place(ticket, lost_thread=ticket.thread_id)
            await self.bot.send_message(ticket.group_id, html, parse_mode=ParseMode.HTML,
                                        message_thread_id=ticket.thread_id)

    @staticmethod
    async def _quietly(call) -> None:
        try:
            await call
        except BadRequest as error:
            log.info("ignored: %s", error)

    async def alert(self, ticket_id: int) -> None:
        """An emergency in a ticket that was already open."""
        ticket = self.store.ticket(ticket_id)
        if ticket is not None:
            await self._post(ticket, "🚨 " + escape(self.t.gettext("Emergency: the person got the emergency numbers.")))

    # person → volunteers

    def person_wrote(self, ticket_id: int) -> None:
        """Pass the person's new messages on after a short pause, so that a
        burst of messages becomes one message in the group."""
        name = f"relay-{ticket_id}"
        if self.jobs is None or self.settings.coalesce_seconds <= 0:
            if self.jobs is not None:
                self.jobs.run_once(self._deliver_job, 0, data=ticket_id, name=name)
            return
        if not self.jobs.get_jobs_by_name(name):
            self.jobs.run_once(self._deliver_job, self.settings.coalesce_seconds, data=ticket_id, name=name)

    async def _deliver_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.deliver_to_volunteers(context.job.data)

    async def deliver_to_volunteers(self, ticket_id: int) -> None:
        async with self._delivering[ticket_id, "person"]:
            await self._retrying_later(self._deliver_to_volunteers(ticket_id), ticket_id)

    async def _retrying_later(self, delivery, ticket_id: int) -> None:
        """Run a delivery; a Telegram error leaves the rest stored for the next round."""
        try:
            await delivery
        except TelegramError as error:
            log.warning("ticket %s: delivery interrupted (%s); it goes on within %s s",
                        ticket_id, error, REDELIVERY_SECONDS)

    async def _deliver_to_volunteers(self, ticket_id: int) -> None:
        ticket = self.store.ticket(ticket_id)
        if ticket is None or ticket.status != "open":
            return
        if ticket.summary_message_id is None:
            ticket = await self._place(ticket)
        for batch in _batches(self.store.undelivered(ticket_id, "person")):
            try:
                sent = await self._send_batch(ticket, batch)
            except BadRequest as error:
                if not _thread_missing(error):
                    raise
                ticket = await self._place(ticket, lost_thread=ticket.thread_id)
                sent = await self._send_batch(ticket, batch)
            self.store.mark_delivered([m.id for m in batch], sent)

    async def _send_batch(self, ticket: Ticket, batch: list[TicketMessage]) -> int:
        """Send one batch; returns the id of the (last) message it became."""
        reply_to = None if ticket.thread_id else ticket.summary_message_id
        if batch[0].kind == "media":
            message = batch[0]
            sent = await self.bot.copy_message(ticket.group_id, message.source_chat_id, message.source_message_id,
                                               message_thread_id=ticket.thread_id, reply_to_message_id=reply_to)
            return sent.message_id
        lines = [f"💬 #{ticket.id}"] + [line for m in batch for line in escaped_lines(m.text)]
        for html in pack(lines):
            sent = await self.bot.send_message(ticket.group_id, html, parse_mode=ParseMode.HTML,
                                               message_thread_id=ticket.thread_id, reply_to_message_id=reply_to)
        return sent.message_id

    # volunteers → person

    async def deliver_to_person(self, ticket_id: int) -> None:
        async with self._delivering[ticket_id, "volunteer"]:
            await self._retrying_later(self._deliver_to_person(ticket_id), ticket_id)

    async def _deliver_to_person(self, ticket_id: int) -> None:
        ticket = self.store.ticket(ticket_id)
        chat = self.store.external_id(ticket.person_id) if ticket else None
        if ticket is None or chat is None:
            return
        person = self.store.person("telegram", chat)
        lang = self.assistant.language_of(person)
        name = ticket.volunteer_name or translator(lang).gettext("Volunteer")
        for message in self.store.undelivered(ticket_id, "volunteer"):
            try:
                if message.kind == "media":
                    sent = await self.bot.copy_message(int(chat), message.source_chat_id, message.source_message_id)
                else:
                    lines = escaped_lines(message.text)
                    lines[0] = f"<b>{escape(name)}:</b> {lines[0]}"
                    for html in pack(lines):
                        sent = await self.bot.send_message(int(chat), html, parse_mode=ParseMode.HTML)
            except Forbidden:
                self.store.close_ticket(ticket_id, "the person blocked the bot")
                await self._post(ticket, "⛔ " + escape(self.t.gettext(
                    "The person has blocked the bot: ticket #{number} is closed.", number=ticket_id)))
                return
            self.store.mark_delivered([message.id], sent.message_id)

    # closing, reminders, restarts

    async def close(self, ticket_id: int, note: str | None, by: str) -> None:
        """Close a ticket on a volunteer's word and tell the person."""
        ticket = self.store.ticket(ticket_id)
        if ticket is None or ticket.status != "open":
            return
        self.store.close_ticket(ticket_id, note)
        await self._post(ticket, "✅ " + escape(self.t.gettext("Closed by {volunteer}.", volunteer=by))
                         + (f"\n{escape(note)}" if note else ""))
        if ticket.thread_id is not None:
            await self._quietly(self.bot.close_forum_topic(ticket.group_id, ticket.thread_id))
        chat = self.store.external_id(ticket.person_id)
        if chat is not None:
            reply = self.assistant.ticket_closed(self.store.person("telegram", chat))
            await self.send_replies(int(chat), [reply])

    async def person_left(self, ticket: Ticket) -> None:
        """The person cancelled their request."""
        await self._post(ticket, "👋 " + escape(self.t.gettext(
            "The person cancelled the request. Ticket #{number} is closed.", number=ticket.id)))
        if ticket.thread_id is not None:
            await self._quietly(self.bot.close_forum_topic(ticket.group_id, ticket.thread_id))

    async def erase(self, traces: list[tuple[Ticket, list[int]]]) -> None:
        """The person asked to be forgotten: delete their tickets' topics (or,
        without topics, the summaries and their messages) and tell the group."""
        for ticket, posted in traces:
            try:
                if ticket.thread_id is not None:
                    await self.bot.delete_forum_topic(ticket.group_id, ticket.thread_id)
                else:
                    for message_id in filter(None, [ticket.summary_message_id, *posted]):
                        await self._quietly(self.bot.delete_message(ticket.group_id, message_id))
                text = (self.t.gettext("The person asked us to delete their data and left. The topic of ticket "
                                       "#{number} and its messages are deleted.", number=ticket.id)
                        if ticket.status == "open" else
                        self.t.gettext("The person of closed ticket #{number} asked us to delete their data. Its "
                                       "topic and messages are deleted.", number=ticket.id))
                await self.bot.send_message(ticket.group_id, "👋 " + escape(text), parse_mode=ParseMode.HTML)
            except TelegramError as error:
                log.warning("could not erase ticket %s from the group: %s", ticket.id, error)

    async def remind_waiting(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reminder in the group for tickets waiting unclaimed too long."""
        limit = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=self.settings.reminder_minutes)
        for ticket in self.store.tickets_waiting(limit.isoformat(timespec="seconds")):
            await self._post(ticket, "⏰ " + escape(self.t.gettext(
                "Ticket #{number} has waited more than {minutes} minutes. Who can take it? /claim",
                number=ticket.id, minutes=self.settings.reminder_minutes)))
            self.store.mark_reminded(ticket.id)

    async def resume(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        """Pass on whatever was stored but not yet delivered (after a start, a
        Telegram error, a timeout), and place tickets that have no place yet."""
        for ticket_id in self.store.tickets_with_undelivered():
            await self.deliver_to_volunteers(ticket_id)
            await self.deliver_to_person(ticket_id)

    async def send_replies(self, chat_id: int, replies: Iterable) -> None:
        """Engine replies into a private chat."""
        for reply in replies:
            for html, markup in messages(reply):
                await self.bot.send_message(chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                            disable_web_page_preview=True)


def _batches(pending: list[TicketMessage]) -> list[list[TicketMessage]]:
    """Consecutive text messages go together; each media message alone."""
    batches: list[list[TicketMessage]] = []
    for message in pending:
        if message.kind == "text" and batches and batches[-1][0].kind == "text":
            batches[-1].append(message)
        else:
            batches.append([message])
    return batches
