"""Guided conversations: step-by-step checks loaded from conversations/*.yaml.

A conversation is a small graph of steps. A step asks a question with
button choices (each leading to a next step, and possibly adding a line to
the person's checklist) or ends it: a tailored text, the checklist
gathered on the way, buttons to knowledge entries, and possibly a ticket in
the volunteers' queue. The format is documented in conversations/README.md.

Where a person is in a conversation is the path of choices they pressed
("021": first choice, then the third, then the second), carried in the
buttons themselves: nothing is stored, and a restart loses nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.knowledge import KnowledgeBase, Review, is_date, read_translation
from bot.understanding.languages import LANGUAGES
from bot.content.yamlfile import SLUG, MAX_TOTAL_BYTES, FileReader, Problem, documents, line_of, total_size, total_size_problem

# Button data is "guide:<id>:<path>", one digit per choice, and Telegram
# allows 64 bytes of it.
ACTION = "guide"
MAX_CHOICES = 9
MAX_BUTTON_DATA = 64
ORIGINAL_LANGUAGE = "en"
_CONVERSATION_FIELDS = {"id", "topic", "title", "offered_from", "translation", "reviewed", "sources", "start", "steps"}
_STEP_FIELDS = {"say", "ask", "choices", "entries", "handover"}
_CHOICE_FIELDS = {"label", "next", "add"}


@dataclass(frozen=True)
class Choice:
    label: dict[str, str]
    next: str
    add: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    id: str
    say: dict[str, str] = field(default_factory=dict)
    ask: dict[str, str] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    entries: tuple[str, ...] = ()
    handover: bool = False
    line: int = 0

    @property
    def is_end(self) -> bool:
        return not self.choices


@dataclass(frozen=True)
class Position:
    """Where a path of choices leads: the step, the choices made on the way,
    and the checklist lines they added."""

    step: Step
    path: str
    chosen: tuple[Choice, ...]
    checklist: tuple[dict[str, str], ...]


@dataclass
class Conversation:
    id: str
    title: dict[str, str]
    topic: str | None
    offered_from: list[str]
    translation: dict[str, str]
    reviewed: dt.date | None
    sources: list[str]
    start: str
    steps: dict[str, Step]
    reviews: dict[str, Review] = field(default_factory=dict)
    path: Path = Path()
    line: int = 0

    def walk(self, path: str) -> Position | None:
        """The position after pressing the choices of ``path``; None when the
        path does not fit this conversation (it changed since the button was sent)."""
        step = self.steps[self.start]
        chosen, checklist = [], []
        for digit in path:
            if not digit.isdigit() or int(digit) >= len(step.choices):
                return None
            choice = step.choices[int(digit)]
            chosen.append(choice)
            if choice.add:
                checklist.append(choice.add)
            step = self.steps[choice.next]
        return Position(step, path, tuple(chosen), tuple(checklist))

    def original(self) -> str:
        """All of its English texts as one: what a review of a translation was checked against."""
        return "\n".join(text.get(ORIGINAL_LANGUAGE, "") for text, _ in self.texts())

    def texts(self) -> list[tuple[dict[str, str], int]]:
        """Every text a person may read, with its line (for the translation check)."""
        found = [(self.title, self.line)]
        for step in self.steps.values():
            found += [(text, step.line) for text in (step.say, step.ask) if text]
            for choice in step.choices:
                found += [(text, step.line) for text in (choice.label, choice.add) if text]
        return found


class _ConversationReader(FileReader):
    def conversation(self, document) -> Conversation | None:
        if not isinstance(document, dict):
            self.problems.append(Problem(self.path, 1, "a conversation file must be a mapping (see conversations/README.md)"))
            return None
        before = len(self.problems)
        self.check_keys(document, _CONVERSATION_FIELDS, "the conversation")
        conversation_id = self.text(document, "id")
        if conversation_id and not SLUG.match(conversation_id):
            self.problem(document, "id", f"id '{conversation_id}' must be lower-case letters, digits and dashes")
        title = self.per_language(document, "title", lists=False)
        translation, reviews = read_translation(self, document, required=False)
        if "translation" in document and ORIGINAL_LANGUAGE not in translation:
            self.problem(document, "translation", f"'{ORIGINAL_LANGUAGE}' (the original) is missing in 'translation'")
        reviewed = document.get("reviewed")
        if not is_date(reviewed):
            self.problem(document, "reviewed" if "reviewed" in document else None,
                         "'reviewed' must be a date, YYYY-MM-DD (every conversation is dated)")
            reviewed = None
        sources = self.text_list(document, "sources")
        if not sources:
            self.problem(document, "sources" if "sources" in document else None,
                         "'sources' is missing (every conversation is sourced)")
        start = self.text(document, "start")
        raw_steps = document.get("steps")
        steps = {}
        if not isinstance(raw_steps, dict) or not raw_steps:
            self.problem(document, "steps" if "steps" in document else None, "'steps' must map step ids to steps")
        else:
            steps = {step_id: step for step_id, raw in raw_steps.items()
                     if (step := self.step(str(step_id), raw, raw_steps)) is not None}
        if len(self.problems) > before or not conversation_id or not start:
            return None
        return Conversation(conversation_id, title, self.text(document, "topic", required=False),
                            self.text_list(document, "offered_from"), translation, reviewed, sources, start, steps,
                            reviews, self.path, document.line)

    def step(self, step_id: str, raw, container) -> Step | None:
        if not isinstance(raw, dict):
            self.problem(container, step_id, f"step '{step_id}' must be a mapping")
            return None
        self.check_keys(raw, _STEP_FIELDS, f"step '{step_id}'")
        say = self.per_language(raw, "say", lists=False, required=False)
        ask = self.per_language(raw, "ask", lists=False, required=False)
        choices = []
        raw_choices = raw.get("choices") or []
        if not isinstance(raw_choices, list):
            self.problem(raw, "choices", f"'choices' of step '{step_id}' must be a list")
            raw_choices = []
        for index, item in enumerate(raw_choices):
            if not isinstance(item, dict):
                self.problem(raw_choices, index, f"choice {index + 1} of step '{step_id}' must be a mapping")
                continue
            self.check_keys(item, _CHOICE_FIELDS, f"a choice of step '{step_id}'")
            label = self.per_language(item, "label", lists=False)
            target = self.text(item, "next")
            if label and target:
                choices.append(Choice(label, target, self.per_language(item, "add", lists=False, required=False)))
        if len(raw_choices) > MAX_CHOICES:
            self.problem(raw, "choices", f"step '{step_id}' has {len(raw_choices)} choices; at most {MAX_CHOICES}")
        if raw_choices and not ask:
            self.problem(raw, None, f"step '{step_id}' has choices but no question ('ask')")
        if ask and not raw_choices:
            self.problem(raw, "ask", f"step '{step_id}' asks a question but offers no 'choices'")
        handover = raw.get("handover", False)
        if not isinstance(handover, bool):
            self.problem(raw, "handover", "'handover' must be true or false")
            handover = False
        entries = self.text_list(raw, "entries")
        if not raw_choices and not (say or entries or handover):
            self.problem(raw, None, f"step '{step_id}' is a dead end: no choices, and no 'say', 'entries' or 'handover'")
        return Step(step_id, say, ask, tuple(choices), tuple(entries), handover, line_of(container, step_id))


def load_conversations(directory: Path | None,
                       knowledge: KnowledgeBase) -> tuple[dict[str, Conversation], list[Problem]]:
    """Load and check every ``*.yaml`` of ``directory`` against ``knowledge``:
    the conversations without errors, and every problem found. Files over the
    size limits (with the knowledge files) are refused before they are parsed."""
    problems: list[Problem] = []
    conversations: dict[str, Conversation] = {}
    paths = sorted(directory.glob("*.yaml")) if directory and directory.is_dir() else []
    if knowledge.source_bytes > MAX_TOTAL_BYTES:
        return conversations, problems  # the knowledge files were refused for it already
    if too_big := total_size_problem(directory, knowledge.source_bytes + total_size(paths), "knowledge and conversation"):
        return conversations, [too_big]
    for path, document in documents(paths, problems):
        reader = _ConversationReader(path)
        conversation = reader.conversation(document)
        problems += reader.problems
        if conversation is None:
            continue
        if conversation.id in conversations:
            problems.append(Problem(path, conversation.line, f"conversation id '{conversation.id}' is also used in "
                                                             f"{conversations[conversation.id].path.name}"))
            continue
        found = (_graph_problems(conversation) + _reference_problems(conversation, knowledge)
                 + _translation_problems(conversation))
        problems += found
        if not any(p.severity == "error" for p in found):
            conversations[conversation.id] = conversation
    return conversations, problems


def _graph_problems(conversation: Conversation) -> list[Problem]:
    """Steps that lead nowhere, cannot be reached, or never reach an end."""
    path, steps = conversation.path, conversation.steps
    if conversation.start not in steps:
        return [Problem(path, conversation.line, f"'start' names step '{conversation.start}', which does not exist")]
    problems = [
        Problem(path, step.line, f"a choice of step '{step.id}' leads to '{choice.next}', which does not exist")
        for step in steps.values() for choice in step.choices if choice.next not in steps
    ]
    if problems:
        return problems
    reachable, frontier = {conversation.start}, [conversation.start]
    while frontier:
        for choice in steps[frontier.pop()].choices:
            if choice.next not in reachable:
                reachable.add(choice.next)
                frontier.append(choice.next)
    problems += [Problem(path, step.line, f"step '{step.id}' cannot be reached from '{conversation.start}'")
                 for step in steps.values() if step.id not in reachable]
    finishing = {step.id for step in steps.values() if step.is_end}
    grew = True
    while grew:
        before = len(finishing)
        finishing |= {step.id for step in steps.values() if any(c.next in finishing for c in step.choices)}
        grew = len(finishing) > before
    problems += [Problem(path, step.line, f"step '{step.id}' is a dead end: no end can be reached from it")
                 for step in steps.values() if step.id not in finishing]
    longest = len(f"{ACTION}:{conversation.id}:") + len(steps)
    if longest > MAX_BUTTON_DATA:
        problems.append(Problem(path, conversation.line, f"id and steps too long for Telegram's buttons ({longest} > "
                                                         f"{MAX_BUTTON_DATA} bytes): shorten the id"))
    return problems


def _reference_problems(conversation: Conversation, knowledge: KnowledgeBase) -> list[Problem]:
    path = conversation.path
    problems = []
    if conversation.topic is not None and conversation.topic not in knowledge.topics:
        problems.append(Problem(path, conversation.line, f"topic '{conversation.topic}' does not exist"))
    named = [(entry_id, conversation.line, "offered_from") for entry_id in conversation.offered_from]
    named += [(entry_id, step.line, f"step '{step.id}'") for step in conversation.steps.values() for entry_id in step.entries]
    for entry_id, line, where in named:
        entry = knowledge.entries.get(entry_id)
        if entry is None or entry.kind != "answer":
            problems.append(Problem(path, line, f"{where} names '{entry_id}', which is not an answer in the knowledge base"))
    return problems


def _translation_problems(conversation: Conversation) -> list[Problem]:
    """A language listed under 'translation' must be in every text (error);
    a language not listed gets the original (warning)."""
    path = conversation.path
    problems = []
    for text, line in conversation.texts():
        missing = [lang for lang in conversation.translation if lang not in text]
        if missing:
            problems.append(Problem(path, line, f"a text of '{conversation.id}' lacks {' '.join(missing)} "
                                                f"(listed under 'translation'): '{next(iter(text.values()))[:40]}'"))
    absent = [lang for lang in LANGUAGES if lang not in conversation.translation]
    if absent:
        problems.append(Problem(path, conversation.line, f"'{conversation.id}' is not translated into "
                                                         f"{' '.join(absent)}; readers get a fallback", "warning"))
    return problems
