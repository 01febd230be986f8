"""The assistant in a terminal: the same engine and replies as on Telegram,
drawn as text, with numbered choices instead of buttons."""

from __future__ import annotations

import textwrap
from typing import TextIO

from bot.assistant import Assistant, Reply
from bot.people.queue import queue_text

TERMINAL_COMMANDS = ("/queue", "/quit")


def render(reply: Reply) -> str:
    """A reply as terminal text; buttons become numbered choices."""
    lines = []
    if reply.title:
        lines.append(f"== {reply.title} ==")
    lines.append(reply.text.rstrip())
    lines.extend(f"  {link.title}: {link.url}" for link in reply.links)
    lines.extend(f"({note})" for note in reply.notes)
    if reply.buttons:
        # No-break spaces keep a choice on one line when the row wraps.
        choices = [f"[{n}] {button.label}".replace(" ", "\u00a0") for n, button in enumerate(reply.buttons, 1)]
        lines.append(textwrap.fill("  ".join(choices), width=100))
    return "\n".join(lines)


class TerminalChat:
    """Reads lines from ``stdin`` and writes replies to ``stdout`` until /quit or end of input."""

    def __init__(self, assistant: Assistant, stdin: TextIO, stdout: TextIO, *, person_key: str = "local"):
        self.assistant = assistant
        self.stdin, self.stdout = stdin, stdout
        self.person_key = person_key
        self.choices: tuple = ()

    def person(self):
        return self.assistant.store.person("terminal", self.person_key)

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            print(render(reply), file=self.stdout)
            print(file=self.stdout)
            if reply.buttons:
                self.choices = reply.buttons

    def run(self, reported_language: str | None = None) -> None:
        commands = [f"/{name}" for name in self.assistant.COMMANDS] + list(TERMINAL_COMMANDS)
        print("Wegwijs - terminal chat. Commands: " + " ".join(commands) + "\n", file=self.stdout)
        self.show(self.assistant.start(self.person(), reported_language))
        while True:
            print("> ", end="", file=self.stdout, flush=True)
            line = self.stdin.readline()
            if not line or line.strip() == "/quit":
                print(file=self.stdout)
                return
            self.show(self.handle(line.strip()))

    def handle(self, line: str) -> list[Reply]:
        person = self.person()
        if line.isdigit() and 1 <= int(line) <= len(self.choices):
            return self.assistant.on_button(person, self.choices[int(line) - 1].action)
        word = line.split(" ")[0]
        if word == "/queue":
            return [Reply("info", queue_text(self.assistant.store, "en"), "en")]
        if word.startswith("/") and word[1:] in self.assistant.COMMANDS:
            return self.assistant.on_command(person, word[1:])
        return self.assistant.on_text(person, line)
