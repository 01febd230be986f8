"""Shared fixtures; and a guard: no test may reach anything but this machine."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path

import pytest
import yaml

from bot.assistant import Assistant
from bot.understanding.engine import Engine
from bot.people.store import Store

# python-telegram-bot's RetryAfter as a timedelta, as in its next major version.
os.environ.setdefault("PTB_TIMEDELTA", "true")
# The same models on every machine: the n-gram ones, whether or not the embeddings extra is
# installed (tests/test_embeddings.py tests that path). WEGWIJS_EMBEDDINGS=on runs the suite with it.
os.environ.setdefault("WEGWIJS_EMBEDDINGS", "off")

PROJECT = Path(__file__).resolve().parent.parent
KNOWLEDGE = PROJECT / "knowledge"


def same_text(text: str) -> str:
    """Texts that differ only in case, spaces or punctuation are the same message."""
    return re.sub(r"[\W_]+", "", text.casefold())


def knowledge_phrasings() -> set[str]:
    """Every phrasing of the bundled knowledge base, as ``same_text``."""
    from bot.content.knowledge import GLOSSARY_FILE

    return {same_text(question) for path in KNOWLEDGE.glob("*.yaml") if path.name != GLOSSARY_FILE
            for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]
            for questions in (entry.get("questions") or {}).values() for question in questions}
CONVERSATIONS = PROJECT / "conversations"

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise RuntimeError(f"a test tried to reach {host}: tests must stay on this machine")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.from_directory(KNOWLEDGE, conversations=CONVERSATIONS)


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "test.sqlite3")
    yield store
    store.close()


@pytest.fixture
def assistant(engine, store) -> Assistant:
    return Assistant(engine, store)


@pytest.fixture
async def bot(engine, tmp_path, request):
    """The bot running against the fake Bot API server; parametrize indirectly with setting changes."""
    from tests.telegram_bot import started_bot

    async with started_bot(engine, tmp_path, **(getattr(request, "param", None) or {})) as running:
        yield running
