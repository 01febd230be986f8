"""The conversation with a person: what to reply to a message, a command or
a button. Front ends (terminal, Telegram) only translate to and from this.

Replies are plain data (text, title, links, notes, buttons); the front end
decides how to draw them. Every interface string goes through gettext in
the person's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.content.conversations import ACTION as GUIDE
from bot.content.conversations import ORIGINAL_LANGUAGE, Conversation, Position
from bot.understanding.engine import Engine, Match
from bot.i18n import best_available, fallback_chain, native_name, negotiate, text_direction, translator
from bot.content.knowledge import Entry, Link
from bot.understanding.languages import LANGUAGES
from bot.settings import OfficeHours
from bot.people.store import Person, Source, Store

# A person may open this many tickets a day (an emergency always opens one).
MAX_TICKETS_PER_DAY = 5

# Button actions: "<verb>" or "<verb>:<argument>".
HUMAN, NONE_OF_THESE, TOPICS, CANCEL, REOPEN = "human", "none", "topics", "cancel", "reopen"


@dataclass(frozen=True)
class Button:
    label: str
    action: str


@dataclass(frozen=True)
class Reply:
    kind: str
    text: str
    lang: str
    title: str | None = None
    links: tuple[Link, ...] = ()
    notes: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()

    @property
    def direction(self) -> str:
        return text_direction(self.lang)


@dataclass
class Assistant:
    engine: Engine
    store: Store
    default_language: str = "en"
    office_hours: OfficeHours | None = None
    retention_days: int = 180

    # languages

    def language_of(self, person: Person, detected: str | None = None, reported: str | None = None) -> str:
        """The person's chosen language, else the message's (``detected``), else the phone's (``reported``)."""
        return person.language or detected or negotiate(reported) or self.default_language

    def language_picker(self, lang: str, before: str = "") -> Reply:
        t = translator(lang)
        buttons = tuple(Button(native_name(code), f"lang:{code}") for code in LANGUAGES)
        text = "\n\n".join(filter(None, [before, t.gettext("Choose your language:")]))
        return Reply("language", text, lang, buttons=buttons)

    def start(self, person: Person, reported_language: str | None) -> list[Reply]:
        """Greeting for a new conversation, in the language the phone reports,
        with the language picker: one message (a crowd of new people costs half)."""
        lang = self.language_of(person, reported=reported_language)
        t = translator(lang)
        greeting = t.gettext(
            "Hello! I answer practical questions about life in Flanders and Brussels: housing, health, "
            "family reunification, school, income, work and more. Write your question in your own words. "
            "If I cannot help, a volunteer can."
        )
        return [self.language_picker(lang, before=greeting)]

    def choose_language(self, person: Person, code: str) -> list[Reply]:
        if code not in LANGUAGES:
            return [self.language_picker(self.language_of(person))]
        self.store.set_language(person.id, code)
        t = translator(code)
        return [Reply("language", t.gettext("Language set to {language}. Ask your question.", language=native_name(code)), code)]

    # commands

    COMMANDS = ("start", "language", "topics", "human", "cancel", "help", "privacy", "forget")

    def on_command(self, person: Person, name: str, reported_language: str | None = None) -> list[Reply]:
        """Reply to one of COMMANDS (without the slash); anything else gets the help."""
        lang = self.language_of(person)
        if name == "start":
            return self.start(person, reported_language)
        replies = {
            "language": lambda: self.language_picker(lang),
            "topics": lambda: self.topics(lang),
            "human": lambda: self.human(person, lang),
            "cancel": lambda: self.cancel(person, lang),
            "privacy": lambda: self.privacy(lang),
            "forget": lambda: self.forget(person, lang),
        }
        return [replies.get(name, lambda: self.help(lang))()]

    # messages

    def on_text(self, person: Person, text: str, source: Source | None = None,
                reported_language: str | None = None) -> list[Reply]:
        """Reply to a free-text message; ``source`` is where it came from on
        the channel, kept to pass it on to a volunteer; ``reported_language``
        is the phone's, for a text whose language is not clear."""
        text = text.strip()
        lang = self.language_of(person)
        if not text:
            return [Reply("info", translator(lang).gettext("Please write your question in words."), lang)]
        match = self.engine.understand(text, person.language)
        lang = self.language_of(person, match.reply_lang if match.reply_lang in LANGUAGES else None, reported_language)
        self.store.record_exchange(person.id, text, match.lang, match.action, match.entry, match.score, match.candidates)
        ticket = self.store.open_ticket_of(person.id)
        if match.action == "emergency":
            reply = self.emergency(person, lang, match.emergency_kind)
            self._add_to_ticket(self.store.open_ticket_of(person.id).id, "text", text, source)
            return [reply]
        if ticket is not None:
            self._add_to_ticket(ticket.id, "text", text, source)
            return [Reply("relayed", translator(lang).gettext("Sent to the volunteer."), lang)]
        return self.respond(person, match, lang)

    def on_media(self, person: Person, caption: str, source: Source | None = None) -> list[Reply]:
        """A photo, document or voice message: passed to the volunteer while a
        ticket is open; otherwise we explain that we read text only."""
        lang = self.language_of(person)
        t = translator(lang)
        ticket = self.store.open_ticket_of(person.id)
        if ticket is not None:
            self._add_to_ticket(ticket.id, "media", caption, source)
            return [Reply("relayed", t.gettext("Sent to the volunteer."), lang)]
        return [Reply("escalate", t.gettext(
            "I can only read text. A volunteer can look at your photo, document or voice message: "
            "press the button, then send it again."), lang, buttons=(Button(t.gettext("Talk to a volunteer"), HUMAN),))]

    def _add_to_ticket(self, ticket_id: int, kind: str, text: str, source: Source | None) -> None:
        self.store.add_ticket_message(ticket_id, "person", text, kind=kind, source=source)

    def respond(self, person: Person, match: Match, lang: str) -> list[Reply]:
        entries = self.engine.knowledge.entries
        if match.action == "answer":
            return [self.answer(entries[match.entry], lang)]
        if match.action == "smalltalk":
            return [self.smalltalk(entries[match.entry], lang)]
        if match.action == "clarify":
            return [self.clarify(match.candidates, lang)]
        if match.entry is not None:  # the person asked for a volunteer
            return [self.human(person, lang)]
        return [self.no_answer(lang)]

    def on_button(self, person: Person, action: str) -> list[Reply]:
        """Reply to a pressed button (or a numbered choice in the terminal)."""
        lang = self.language_of(person)
        verb, _, argument = action.partition(":")
        entries = self.engine.knowledge.entries
        if verb == "entry" and argument in entries:
            entry = entries[argument]
            self.store.record_exchange(person.id, f"[{argument}]", lang, "chosen", argument, 1.0, [])
            return [self.answer(entry, lang) if entry.kind == "answer" else self.smalltalk(entry, lang)]
        if verb == "lang":
            return self.choose_language(person, argument)
        if verb == HUMAN:
            return [self.human(person, lang)]
        if verb == NONE_OF_THESE:
            return [self.no_answer(lang)]
        if verb == TOPICS:
            return [self.topics(lang)]
        if verb == "topic" and argument in self.engine.knowledge.topics:
            return [self.topic(argument, lang)]
        if verb in ("up", "down") and argument in entries:
            self.store.record_feedback(person.id, argument, verb == "up")
            t = translator(lang)
            if verb == "up":
                return [Reply("info", t.gettext("Thank you for your feedback."), lang)]
            return [Reply("info", t.gettext("Sorry this did not help. A volunteer can look at your question."), lang,
                          buttons=(Button(t.gettext("Talk to a volunteer"), HUMAN),))]
        if verb == GUIDE:
            return self.guide(person, argument, lang)
        if verb == CANCEL:
            return [self.cancel(person, lang)]
        if verb == REOPEN:
            return [self.reopen(person, lang)]
        return [Reply("info", translator(lang).gettext("This button is no longer valid. Please ask your question again."), lang)]

    # reply builders

    def answer(self, entry: Entry, lang: str) -> Reply:
        text, used, notes = self._content(entry, lang)
        t = translator(lang)
        buttons = [Button("🧭 " + t.gettext("Check what applies to you"), f"{GUIDE}:{guide.id}:")
                   for guide in self._guides_offered_from(entry.id)[:1]]
        buttons += [Button(self.title(related_id, lang), f"entry:{related_id}") for related_id in entry.related[:3]]
        buttons += [
            Button(t.gettext("Talk to a volunteer"), HUMAN),
            Button("👍", f"up:{entry.id}"),
            Button("👎", f"down:{entry.id}"),
        ]
        return Reply("answer", text, used, title=self.title(entry.id, lang), links=tuple(entry.links),
                     notes=notes, buttons=tuple(buttons))

    def smalltalk(self, entry: Entry, lang: str) -> Reply:
        """A greeting or thanks: without the machine-translation note ("Hello" needs no warning)."""
        used = best_available(lang, entry.answer)
        t = translator(lang)
        return Reply("smalltalk", entry.answer[used], used, notes=self._notes(lang, used, status=None),
                     buttons=(Button(t.gettext("Browse topics"), TOPICS),))

    def emergency(self, person: Person, lang: str, kind: str | None = None) -> Reply:
        """Emergency numbers at once, the kind's own first, and a volunteer alerted."""
        entry = self.engine.knowledge.entries[self.engine.emergency.entry_id]
        special = entry.dangers.get(kind) if kind else None
        if special:
            text, used, notes = self._text_in(special.answer, special.translation, lang)
        else:
            text, used, notes = self._content(entry, lang)
        self.store.open_ticket(person.id, lang, entry.topic, emergency=True, emergency_kind=kind)
        return Reply("emergency", text, used, title=self.title(entry.id, lang), links=tuple(entry.links), notes=notes)

    def clarify(self, candidates: list[str], lang: str) -> Reply:
        t = translator(lang)
        buttons = [Button(self.title(entry_id, lang), f"entry:{entry_id}") for entry_id in candidates]
        buttons.append(Button(t.gettext("None of these"), NONE_OF_THESE))
        return Reply("clarify", t.gettext("Did you mean:"), lang, buttons=tuple(buttons))

    def no_answer(self, lang: str) -> Reply:
        t = translator(lang)
        # Danger that the emergency check did not recognise ends here too: the number is always said.
        return Reply("escalate", t.gettext(
            "I don't have a reliable answer to that. A volunteer can help you, or you can browse the topics.")
            + "\n" + t.gettext("If you are in danger now, call 112."), lang,
            buttons=(Button(t.gettext("Talk to a volunteer"), HUMAN), Button(t.gettext("Browse topics"), TOPICS)))

    def human(self, person: Person, lang: str, topic: str | None = None) -> Reply:
        """Open (or return to) a ticket in the volunteers' queue; its topic is
        ``topic`` or that of the last question answered."""
        recent = self.store.recent_exchanges(person.id, limit=1)
        topic = topic or next((self.engine.knowledge.entries[r["entry_id"]].topic for r in recent
                               if r["entry_id"] in self.engine.knowledge.entries), None)
        t = translator(lang)
        day_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
        if (self.store.open_ticket_of(person.id) is None
                and self.store.tickets_opened_since(person.id, day_ago) >= MAX_TICKETS_PER_DAY):
            return Reply("info", t.gettext(
                "You have asked for a volunteer many times today. Please try again tomorrow. "
                "In an emergency, call 112."), lang)
        ticket = self.store.open_ticket(person.id, lang, topic)
        text = t.gettext(
            "Your question is in the volunteers' queue (ticket #{number}). A volunteer will answer you here. "
            "Everything you write now goes to the volunteer.", number=ticket.id)
        if self.office_hours and not self.office_hours.is_open(dt.datetime.now(dt.timezone.utc)):
            text += "\n" + t.gettext("Volunteers usually answer {hours}. We will answer as soon as we can.",
                                     hours=self.office_hours.describe(lang))
        return Reply("ticket", text, lang, buttons=(Button(t.gettext("Cancel my request"), CANCEL),))

    def reopen(self, person: Person, lang: str) -> Reply:
        """Reopen the person's last ticket (or open one when there is none)."""
        ticket = self.store.latest_ticket_of(person.id)
        if ticket is None or ticket.status == "open":
            return self.human(person, lang)
        self.store.reopen_ticket(ticket.id)
        t = translator(lang)
        return Reply("ticket", t.gettext("The conversation with the volunteers is open again (ticket #{number}). "
                                         "Everything you write now goes to the volunteer.", number=ticket.id), lang,
                     buttons=(Button(t.gettext("Cancel my request"), CANCEL),))

    def ticket_closed(self, person: Person) -> Reply:
        """What the person reads when a volunteer closes their ticket."""
        lang = self.language_of(person)
        t = translator(lang)
        return Reply("info", t.gettext(
            "The volunteer has closed this conversation. You can ask me questions again, or reopen it."), lang,
            buttons=(Button(t.gettext("Reopen the conversation"), REOPEN),))

    def cancel(self, person: Person, lang: str) -> Reply:
        t = translator(lang)
        ticket = self.store.open_ticket_of(person.id)
        if ticket is None:
            return Reply("info", t.gettext("You have no open request."), lang)
        self.store.close_ticket(ticket.id, "cancelled by the person")
        return Reply("info", t.gettext("Your request is cancelled. You can ask me questions again."), lang)

    def topics(self, lang: str) -> Reply:
        t = translator(lang)
        buttons = tuple(
            Button(_in_language(topic.title, lang), f"topic:{topic.id}")
            for topic in self.engine.knowledge.topics.values()
            if any(self.engine.knowledge.entries[e].kind == "answer" for e in topic.entry_ids)
        )
        return Reply("topics", t.gettext("Choose a topic:"), lang,
                     buttons=buttons + self._guide_buttons(self.engine.conversations.values(), lang))

    def topic(self, topic_id: str, lang: str) -> Reply:
        topic = self.engine.knowledge.topics[topic_id]
        buttons = tuple(
            Button(self.title(entry_id, lang), f"entry:{entry_id}")
            for entry_id in topic.entry_ids
            if self.engine.knowledge.entries[entry_id].kind == "answer"
        )
        guides = self._guide_buttons((c for c in self.engine.conversations.values() if c.topic == topic_id), lang)
        return Reply("topic", _in_language(topic.title, lang), lang, buttons=guides + buttons + (Button(
            translator(lang).gettext("All topics"), TOPICS),))

    # guided conversations

    def guide(self, person: Person, argument: str, lang: str) -> list[Reply]:
        """The step a button of a guided conversation leads to: a question
        with choices, or the end with the person's checklist."""
        conversation_id, _, path = argument.partition(":")
        conversation = self.engine.conversations.get(conversation_id)
        position = conversation.walk(path) if conversation else None
        t = translator(lang)
        if position is None:
            restart = (Button(t.gettext("Start again"), f"{GUIDE}:{conversation_id}:"),) if conversation else ()
            return [Reply("info", t.gettext("This button is no longer valid. Please ask your question again."), lang,
                          buttons=restart)]
        used = next((code for code in fallback_chain(lang) if code in conversation.translation), ORIGINAL_LANGUAGE)
        notes = self._notes(lang, used, conversation.translation.get(used))
        title = _in_language(conversation.title, used)
        step = position.step
        if not step.is_end:
            text = "\n\n".join(_in_language(part, used) for part in (step.say, step.ask) if part)
            buttons = [Button(_in_language(choice.label, used), f"{GUIDE}:{conversation.id}:{path}{n}")
                       for n, choice in enumerate(step.choices)]
            if path:
                buttons.append(Button("◀ " + t.gettext("Back"), f"{GUIDE}:{conversation.id}:{path[:-1]}"))
            return [Reply("guide", text, used, title=title, notes=notes, buttons=tuple(buttons))]
        self._record_guide(person, conversation, position)
        parts = []
        if position.checklist:
            lines = "\n".join("☐ " + _in_language(item, used) for item in position.checklist)
            parts.append(translator(used).gettext("Your checklist:") + "\n" + lines)
        if step.say:
            parts.append(_in_language(step.say, used))
        buttons = [Button(self.title(entry_id, lang), f"entry:{entry_id}") for entry_id in step.entries]
        if not step.handover:
            buttons.append(Button(t.gettext("Talk to a volunteer"), HUMAN))
        buttons.append(Button(t.gettext("Start again"), f"{GUIDE}:{conversation.id}:"))
        replies = [Reply("guide", "\n\n".join(parts), used, title=title, notes=notes, buttons=tuple(buttons))]
        if step.handover:
            replies.append(self.human(person, lang, topic=conversation.topic))
        return replies

    def _record_guide(self, person: Person, conversation: Conversation, position: Position) -> None:
        """The path taken, in the original language: volunteers see it in a ticket's summary."""
        answers = " › ".join(_in_language(choice.label, ORIGINAL_LANGUAGE) for choice in position.chosen)
        self.store.record_exchange(person.id, f"[{conversation.id}: {answers}]", ORIGINAL_LANGUAGE, "guide", None,
                                   1.0, [])

    def _guides_offered_from(self, entry_id: str) -> list[Conversation]:
        return [c for c in self.engine.conversations.values() if entry_id in c.offered_from]

    @staticmethod
    def _guide_buttons(conversations, lang: str) -> tuple[Button, ...]:
        return tuple(Button("🧭 " + _in_language(c.title, lang), f"{GUIDE}:{c.id}:") for c in conversations)

    def help(self, lang: str) -> Reply:
        t = translator(lang)
        return Reply("info", t.gettext(
            "Write your question in your own words, in your language.\n"
            "/topics - browse the topics\n/human - talk to a volunteer\n/language - change the language\n"
            "/privacy - what we store\n/forget - delete everything we store about you"), lang)

    def privacy(self, lang: str) -> Reply:
        """Exactly what is kept, why, and for how long (store.py and apply_retention do this)."""
        t = translator(lang)
        return Reply("info", t.gettext(
            "What we keep, why, and for how long:\n"
            "• The language you chose, until you type /forget.\n"
            "• Your questions and our answers, for {days} days, to answer you and to improve the answers. "
            "Phone numbers, e-mail addresses, national register numbers and bank account numbers are removed "
            "from them first.\n"
            "• Your messages with volunteers, until {days} days after the conversation is closed.\n"
            "• Whether an answer helped you (👍 or 👎), for {days} days.\n"
            "We do not keep your name, username or phone number, and volunteers never see them: they see a "
            "ticket number and your language.\n"
            "Type /forget to delete everything we keep about you at once, also an open conversation with a "
            "volunteer. Your own Telegram app keeps its copy of this chat until you delete it.",
            days=self.retention_days), lang)

    def forget(self, person: Person, lang: str) -> Reply:
        self.store.forget_person(person.id)
        return Reply("info", translator(lang).gettext("Everything we stored about you has been deleted."), lang)

    # content helpers

    def title(self, entry_id: str, lang: str) -> str:
        return _in_language(self.engine.knowledge.entries[entry_id].title, lang)

    def _content(self, entry: Entry, lang: str) -> tuple[str, str, tuple[str, ...]]:
        """The entry's answer in the best language available, the language used,
        and the notes the reader must see (fallback, machine translation)."""
        return self._text_in(entry.answer, entry.translation, lang)

    def _text_in(self, answer: dict[str, str], translation: dict[str, str],
                 lang: str) -> tuple[str, str, tuple[str, ...]]:
        used = best_available(lang, answer)
        return answer[used], used, self._notes(lang, used, translation.get(used))

    @staticmethod
    def _notes(lang: str, used: str, status: str | None) -> tuple[str, ...]:
        """What the reader must be told about a text in ``used`` when they read
        ``lang``: that it is a fallback, that it is a machine translation."""
        notes = []
        if used != lang:
            notes.append(translator(lang).gettext(
                "This answer is not yet available in {language}; here it is in {fallback}.",
                language=native_name(lang), fallback=native_name(used)))
        if status == "machine":
            notes.append(translator(used).gettext("Machine translation: not yet checked by a person."))
        return tuple(notes)


def _in_language(texts: dict[str, str], lang: str) -> str:
    return next((texts[code] for code in fallback_chain(lang) if code in texts), next(iter(texts.values()), ""))
