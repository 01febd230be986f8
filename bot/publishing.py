"""Publishing without a restart: the knowledge base and the guided
conversations are read again on an admin's /reload or when their files
change. The new version is checked first; one with errors never replaces
the running one, and the admin is told why."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.assistant import Assistant
from bot.understanding.engine import Engine, KnowledgeError
from bot.i18n import translator
from bot.content.yamlfile import Problem

log = logging.getLogger(__name__)

# Problems listed in one report to an admin; the rest are counted.
_SHOWN_PROBLEMS = 15


class Publisher:
    """Reloads the assistant's engine from ``knowledge`` and ``conversations``."""

    def __init__(self, assistant: Assistant, knowledge: Path, conversations: Path):
        self.assistant = assistant
        self.knowledge = knowledge
        self.conversations = conversations
        self._seen = self._files_state()
        self._lock = asyncio.Lock()

    def _files_state(self) -> tuple:
        """Name, size and modification time of every YAML file: what a change shows in."""
        files = sorted(p for d in (self.knowledge, self.conversations) if d.is_dir()
                       for p in d.rglob("*.y*ml"))
        state = []
        for path in files:
            try:
                stat = path.stat()
            except OSError:  # removed while we look: the next look sees the change
                continue
            state.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(state)

    def changed(self) -> bool:
        """Whether the files differ from those last loaded, refused or failed to
        load: a version that failed is not tried again until a file changes."""
        return self._files_state() != self._seen

    async def reload(self) -> list[Problem]:
        """Load and check the files; on success the assistant answers from
        them at once. Returns the errors that kept the running version."""
        async with self._lock:
            state = self._files_state()
            thresholds = self.assistant.engine.thresholds
            try:
                # Indexing takes seconds: off the event loop, which goes on answering from the running version.
                engine = await asyncio.to_thread(Engine.from_directory, self.knowledge, thresholds,
                                                 self.conversations)
            except KnowledgeError as error:
                log.warning("knowledge not reloaded: %d error(s)", len(error.errors))
                self._seen = state  # the same broken files are reported once, not every few seconds
                return error.errors
            except Exception as error:  # noqa: BLE001 - a failed rebuild keeps the running version, and is told
                log.exception("knowledge not reloaded: the rebuild failed")
                self._seen = state  # not retried every few seconds either
                return [Problem(self.knowledge, 0, f"the rebuild failed: {type(error).__name__}: {error}")]
            self.assistant.engine = engine
            self._seen = state
            log.info("knowledge reloaded: %d entries", len(engine.knowledge.entries))
            return []

    def report(self, problems: list[Problem], lang: str) -> str:
        """What an admin reads after a reload, in ``lang``."""
        t = translator(lang)
        if not problems:
            engine = self.assistant.engine
            return t.gettext("Knowledge reloaded: {entries} entries and {conversations} guided conversations.",
                             entries=len(engine.knowledge.entries), conversations=len(engine.conversations))
        lines = [t.gettext("Knowledge NOT reloaded: the running version stays. Fix these errors, then /reload:")]
        lines += [str(problem) for problem in problems[:_SHOWN_PROBLEMS]]
        if len(problems) > _SHOWN_PROBLEMS:
            lines.append(t.gettext("…and {count} more.", count=len(problems) - _SHOWN_PROBLEMS))
        return "\n".join(lines)
