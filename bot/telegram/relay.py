"""Tickets in the volunteers' group, and messages passed both ways.

Every message is stored first and marked delivered as soon as Telegram
accepted it, so a restart, a Telegram error or a deleted topic never loses
one: what is still undelivered is sent again when the bot starts and every
half minute after that, for closed tickets too. A message Telegram refuses
for good (a photo deleted before it was passed on) is marked so, its sender
is told in one line, and the next one goes on. Emergency answers are kept
the same way until Telegram accepted them, and go ahead of every queue;
so does an emergency ticket's topic. What the bot posted about a person who
asked to be forgotten (or whose ticket outlived the retention period) is
deleted from the group, retried until Telegram confirms.
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

from bot.assistant import Assistant, Reply
from bot.i18n import Translator, native_name, translator
from bot.settings import Settings
from bot.people.store import Store, Ticket, TicketMessage
from bot.telegram.lanes import URGENT, UrgentFirstRateLimiter
from bot.telegram.render import escape, escaped_lines, messages, pack

log = logging.getLogger(__name__)

_SUMMARY_EXCHANGES = 5
REDELIVERY_SECONDS = 30
# A kept emergency answer that Telegram did not take (a 5xx, a timeout) is tried again this soon.
URGENT_RETRY_SECONDS = 2


def ticket_keyboard(ticket_id: int, volunteer_language: str) -> InlineKeyboardMarkup:
    t = translator(volunteer_language)
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(t.gettext("Claim"), callback_data=f"t:claim:{ticket_id}"),
        InlineKeyboardButton(t.gettext("Release"), callback_data=f"t:release:{ticket_id}"),
        InlineKeyboardButton(t.gettext("Close"), callback_data=f"t:close:{ticket_id}"),
    ]])


def _thread_missing(error: BadRequest) -> bool:
    return "thread not found" in error.message.lower() or "topic_deleted" in error.message.lower()


def _already_gone(error: BadRequest) -> bool:
    """Deleting what is not there (any more) has done its job."""
    return "not found" in error.message.lower() or "topic_deleted" in error.message.lower()


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
        self._erasing = asyncio.Lock()
        # The emergency lane of the rate limiter (only a bot with a rate limiter takes the argument).
        self._urgent = ({"rate_limit_args": URGENT}
                        if isinstance(getattr(bot, "rate_limiter", None), UrgentFirstRateLimiter) else {})

    def _lane(self, ticket: Ticket) -> dict:
        return self._urgent if ticket.emergency else {}

    # the ticket's place in the group

    def topic_name(self, ticket: Ticket) -> str:
        """"#42 · العربية · Family reunification"; an emergency's starts with 🚨 and says so."""
        language = native_name(ticket.language) if ticket.language else "?"
        topics = self.assistant.engine.knowledge.topics
        topic = topics[ticket.topic].title.get(self.settings.volunteer_language) if ticket.topic in topics else None
        if ticket.emergency:
            danger = _danger_names(self.t).get(ticket.emergency_kind) or self.t.gettext("Emergency")
            return " · ".join([f"🚨 #{ticket.id}", language, danger])[:128]
        return " · ".join(filter(None, [f"#{ticket.id}", language, topic]))[:128]

    def summary(self, ticket: Ticket) -> str:
        """What volunteers read first: what the person asked, what the bot did."""
        entries = self.assistant.engine.knowledge.entries
        lines = [f"<b>{escape(self.topic_name(ticket))}</b>"]
        if ticket.emergency:
            lines.append("🚨 " + escape(self.t.gettext("Emergency: the person got the emergency numbers.")))
            alarm = self.store.last_emergency_message(ticket.person_id)
            if alarm:
                lines.append(escape(self.t.gettext("They wrote:")) + f" <b>«{escape(alarm[:500])}»</b>")
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
                    topic = await self.bot.create_forum_topic(group, self.topic_name(ticket), **self._lane(ticket))
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
                    message_thread_id=ticket.thread_id, **self._lane(ticket),
                    reply_markup=ticket_keyboard(ticket.id, self.settings.volunteer_language))
                self.store.place_ticket(ticket.id, ticket.group_id, ticket.thread_id, summary.message_id)
                ticket = self.store.ticket(ticket.id)
            return ticket

    async def _post(self, ticket: Ticket, html: str, lane: dict | None = None) -> None:
        """A line from the bot in the ticket's place in the group."""
        if ticket.group_id is None:
            return
        lane = lane or {}
        try:
            await self.bot.send_message(ticket.group_id, html, parse_mode=ParseMode.HTML,
                                        message_thread_id=ticket.thread_id, **lane,
                                        reply_to_message_id=None if ticket.thread_id else ticket.summary_message_id)
        except BadRequest as error:
            if not _thread_missing(error):
                raise
            ticket = await self._place(ticket, lost_thread=ticket.thread_id)
            await self.bot.send_message(ticket.group_id, html, parse_mode=ParseMode.HTML,
                                        message_thread_id=ticket.thread_id, **lane)

    @staticmethod
    async def _quietly(call) -> None:
        try:
            await call
        except BadRequest as error:
            log.info("ignored: %s", error)

    async def alert(self, ticket_id: int) -> None:
        """An emergency in a ticket that was already open: said in its place,
        with the message, and its topic renamed to start with 🚨."""
        ticket = self.store.ticket(ticket_id)
        if ticket is None:
            return
        alarm = self.store.last_emergency_message(ticket.person_id)
        quoted = (f"\n{escape(self.t.gettext('They wrote:'))} <b>«{escape(alarm[:500])}»</b>" if alarm else "")
        await self._post(ticket, "🚨 " + escape(self.t.gettext("Emergency: the person got the emergency numbers."))
                         + quoted, self._urgent)
        if ticket.thread_id is not None:
            await self._quietly(self.bot.edit_forum_topic(ticket.group_id, ticket.thread_id,
                                                          name=self.topic_name(ticket), **self._urgent))

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
        pending = self.store.undelivered(ticket_id, "person") if ticket else []
        if ticket is None or (ticket.status != "open" and not pending):
            return
        if ticket.summary_message_id is None:
            ticket = await self._place(ticket)
        for batch in _batches(pending):
            try:
                await self._send_batch(ticket, batch)
            except BadRequest as error:
                if _thread_missing(error):
                    ticket = await self._place(ticket, lost_thread=ticket.thread_id)
                    await self._send_batch(ticket, batch)
                else:
                    await self._refused_from_person(ticket, batch, error)

    async def _send_batch(self, ticket: Ticket, batch: list[TicketMessage]) -> None:
        """Send one batch, recording each message it becomes as soon as
        Telegram took it, and each of the batch's messages as delivered once
        its last line went: a redelivery sends only what did not go."""
        reply_to = None if ticket.thread_id else ticket.summary_message_id
        where = {"message_thread_id": ticket.thread_id, "reply_to_message_id": reply_to}
        if batch[0].kind == "media":
            message = batch[0]
            sent = await self.bot.copy_message(ticket.group_id, message.source_chat_id, message.source_message_id,
                                               **where)
            self.store.record_copy(message.id, ticket.group_id, sent.message_id)
            self.store.mark_delivered([message.id])
            return
        lines = [(None, f"💬 #{ticket.id}")] + [(m, line) for m in batch for line in escaped_lines(m.text)]
        sent_lines = 0
        for html in pack([line for _, line in lines]):
            sent = await self.bot.send_message(ticket.group_id, html, parse_mode=ParseMode.HTML, **where)
            sent_lines += html.count("\n") + 1
            self.store.record_copy((lines[sent_lines - 1][0] or batch[0]).id, ticket.group_id, sent.message_id)
            following = lines[sent_lines][0] if sent_lines < len(lines) else None
            self.store.mark_delivered([m.id for m in batch if following is None or m.id < following.id])

    async def _refused_from_person(self, ticket: Ticket, batch: list[TicketMessage], error: BadRequest) -> None:
        """Telegram refuses a message of the person for good: mark it, tell
        the person in one line, go on with the next. A batch of several texts
        is tried one by one first, so only the message at fault is lost."""
        if len(batch) > 1:
            for message in batch:
                await self._send_or_refuse(ticket, message)
            return
        log.warning("ticket %s: Telegram refused message %s for good (%s)", ticket.id, batch[0].id, error.message)
        self.store.mark_refused([batch[0].id])
        chat = self.store.external_id(ticket.person_id)
        if chat is not None:
            lang = self.assistant.language_of(self.store.person("telegram", chat))
            await self.bot.send_message(int(chat), escape(translator(lang).gettext(
                "One of your messages could not be passed on to the volunteer (Telegram refused it). "
                "Please send it again.")), parse_mode=ParseMode.HTML)

    async def _send_or_refuse(self, ticket: Ticket, message: TicketMessage) -> None:
        try:
            await self._send_batch(ticket, [message])
        except BadRequest as error:
            await self._refused_from_person(ticket, [message], error)

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
                    self.store.record_copy(message.id, int(chat), sent.message_id)
                else:
                    lines = escaped_lines(message.text)
                    lines[0] = f"<b>{escape(name)}:</b> {lines[0]}"
                    # Parts that went before an interruption are not sent again.
                    for html in pack(lines)[message.copies:]:
                        sent = await self.bot.send_message(int(chat), html, parse_mode=ParseMode.HTML)
                        self.store.record_copy(message.id, int(chat), sent.message_id)
            except Forbidden:
                self.store.close_ticket(ticket_id, "the person blocked the bot")
                await self._post(ticket, "⛔ " + escape(self.t.gettext(
                    "The person has blocked the bot: ticket #{number} is closed.", number=ticket_id)))
                return
            except BadRequest as error:
                log.warning("ticket %s: Telegram refused message %s for good (%s)", ticket_id, message.id,
                            error.message)
                self.store.mark_refused([message.id])
                await self._post(ticket, "⚠️ " + escape(self.t.gettext(
                    "Telegram refused one of your messages, so the person did not get it ({reason}). "
                    "Please send it again in another form.", reason=error.message)))
                continue
            self.store.mark_delivered([message.id])

    # closing, reminders, restarts

    async def deliver_pending(self, ticket_id: int) -> None:
        """Pass on what either side wrote that has not gone yet (before a close takes effect)."""
        await self.deliver_to_volunteers(ticket_id)
        await self.deliver_to_person(ticket_id)

    async def close(self, ticket_id: int, note: str | None, by: str) -> None:
        """Close a ticket on a volunteer's word and tell the person; what was
        written before goes first."""
        ticket = self.store.ticket(ticket_id)
        if ticket is None or ticket.status != "open":
            return
        await self.deliver_pending(ticket_id)
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
        """The person cancelled their request; what they wrote before still goes."""
        await self.deliver_to_volunteers(ticket.id)
        ticket = self.store.ticket(ticket.id) or ticket
        await self._post(ticket, "👋 " + escape(self.t.gettext(
            "The person cancelled the request. Ticket #{number} is closed.", number=ticket.id)))
        if ticket.thread_id is not None:
            await self._quietly(self.bot.close_forum_topic(ticket.group_id, ticket.thread_id))

    async def person_forgotten(self, tickets: list[Ticket]) -> None:
        """The person asked to be forgotten: their tickets' topics (or, without
        topics, the summaries and their messages) go, and the groups are told."""
        await self.erase()
        for ticket in tickets:
            text = (self.t.gettext("The person asked us to delete their data and left. The topic of ticket "
                                   "#{number} and its messages are deleted.", number=ticket.id)
                    if ticket.status == "open" else
                    self.t.gettext("The person of closed ticket #{number} asked us to delete their data. Its "
                                   "topic and messages are deleted.", number=ticket.id))
            try:
                await self.bot.send_message(ticket.group_id, "👋 " + escape(text), parse_mode=ParseMode.HTML)
            except TelegramError as error:
                log.warning("could not tell the group about ticket %s: %s", ticket.id, error)

    async def erase(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        """Delete from the groups what is queued for erasure (/forget,
        retention); what Telegram does not confirm stays queued for the next round."""
        async with self._erasing:
            for erasure in self.store.pending_erasures():
                try:
                    if erasure["thread_id"] is not None:
                        await self.bot.delete_forum_topic(erasure["chat_id"], erasure["thread_id"])
                    else:
                        await self.bot.delete_message(erasure["chat_id"], erasure["message_id"])
                except BadRequest as error:
                    if not _already_gone(error):
                        log.warning("could not delete from the group (%s); trying again within %s s",
                                    error, REDELIVERY_SECONDS)
                        continue
                except TelegramError as error:
                    log.warning("could not delete from the group (%s); trying again within %s s",
                                error, REDELIVERY_SECONDS)
                    continue
                self.store.erasure_done(erasure["id"])

    async def remind_waiting(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reminder in the group for tickets waiting unclaimed too long;
        for an emergency within minutes, and again until someone claims it."""
        now = dt.datetime.now(dt.timezone.utc)
        for ticket in self.store.tickets_waiting(now, self.settings.reminder_minutes,
                                                 self.settings.emergency_reminder_minutes):
            waited = int((now - dt.datetime.fromisoformat(ticket.created)).total_seconds() // 60)
            if ticket.emergency:
                text = "🚨 " + escape(self.t.gettext(
                    "Emergency ticket #{number} has waited {minutes} minutes and nobody has claimed it. "
                    "Who can take it now? /claim", number=ticket.id, minutes=waited))
            else:
                text = "⏰ " + escape(self.t.gettext(
                    "Ticket #{number} has waited more than {minutes} minutes. Who can take it? /claim",
                    number=ticket.id, minutes=self.settings.reminder_minutes))
            await self._post(ticket, text, self._lane(ticket))
            self.store.mark_reminded(ticket.id)

    async def resume(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        """Pass on whatever was stored but not yet delivered (after a start, a
        Telegram error, a timeout): kept answers first, then tickets, placing
        those that have no place yet; then what is queued for erasure."""
        await self.deliver_kept()
        for ticket_id in self.store.tickets_with_undelivered():
            await self.deliver_pending(ticket_id)
        await self.erase()

    # answers kept until sent

    async def send_urgently(self, person_id: int, chat_id: int, reply: Reply, update_id: int | None) -> None:
        """Send an emergency answer ahead of every queue, keeping it until
        Telegram took each part: a 429, a 5xx or a crash delays it, never loses it."""
        parts = [[html, markup.to_dict() if markup else None] for html, markup in messages(reply)]
        answer_id = self.store.keep_answer(person_id, chat_id, parts, update_id)
        if answer_id is not None:  # None: a replayed update whose answer was kept before (resume sends it)
            await self.deliver_kept(answer_id)

    async def deliver_kept(self, answer_id: int | None = None) -> None:
        for answer in self.store.unsent_answers(answer_id):
            async with self._delivering[answer["id"], "answer"]:
                await self._deliver_answer(answer["id"])

    async def _deliver_answer(self, answer_id: int) -> None:
        for answer in self.store.unsent_answers(answer_id):  # read again: another delivery may have sent parts
            try:
                for html, markup in answer["parts"]:
                    await self.bot.send_message(
                        answer["chat_id"], html, parse_mode=ParseMode.HTML, disable_web_page_preview=True,
                        reply_markup=InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None,
                        **self._urgent)
                    self.store.answer_part_sent(answer_id)
            except Forbidden:
                log.info("answer %s: the person blocked the bot", answer_id)
                self.store.drop_answer(answer_id)
            except BadRequest as error:
                log.error("answer %s refused by Telegram for good: %s", answer_id, error.message)
                self.store.drop_answer(answer_id)
            except TelegramError as error:
                log.warning("answer %s: not sent (%s); trying again in %s s", answer_id, error, URGENT_RETRY_SECONDS)
                if self.jobs is not None:
                    self.jobs.run_once(self._retry_answer, URGENT_RETRY_SECONDS, data=answer_id)

    async def _retry_answer(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.deliver_kept(context.job.data)

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


def _danger_names(t: Translator) -> dict[str, str]:
    """The kinds of danger as volunteers read them in an emergency topic's name."""
    return {
        "suicide": t.gettext("Emergency: suicide"),
        "self-harm": t.gettext("Emergency: self-harm"),
        "overdose-poisoning": t.gettext("Emergency: poisoning or overdose"),
        "medical": t.gettext("Emergency: medical"),
        "bleeding": t.gettext("Emergency: heavy bleeding"),
        "sick-child": t.gettext("Emergency: very ill child"),
        "pregnancy": t.gettext("Emergency: pregnancy"),
        "violence": t.gettext("Emergency: violence"),
        "sexual-violence": t.gettext("Emergency: sexual violence"),
        "weapon": t.gettext("Emergency: weapon"),
        "fire-gas-trapped": t.gettext("Emergency: fire, gas or trapped"),
        "missing-child": t.gettext("Emergency: missing child"),
        "trafficking": t.gettext("Emergency: trafficking or forced labour"),
    }
