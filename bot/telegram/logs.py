"""Keeping personal data and the bot token out of the log.

python-telegram-bot logs whole update batches and request bodies in a few
places (found in python-telegram-bot 22):

- ``telegram.Bot`` / ``telegram.ext.ExtBot``, CRITICAL: "Error while parsing
  updates! Received data was %r", the whole getUpdates batch (names,
  usernames, texts) when one update cannot be read; DEBUG: "Calling Bot API
  endpoint `%s` with parameters `%s`" (every text we send, relayed
  messages included) and "Call to Bot API endpoint `%s` finished with return
  value `%s`" (every update received).
- ``telegram.request.BaseRequest``, ERROR: 'Can not load invalid JSON data:
  "%s"', the whole answer of the Bot API.
- ``telegram.ext.Updater``, CRITICAL: "Something went wrong processing the
  data received from Telegram..." (polling: with the parse error's
  traceback; its webhook server: with the body), DEBUG: "Webhook received
  data: %s".
- ``telegram.ext.Application``, DEBUG: "Processing update %s" and "Dropping
  pending update: %s" (the Update with all its content), CRITICAL: "Error
  while building CallbackContext for update %s".

``PrivacyFilter`` rewrites those records, and any other whose text or
traceback looks like update content (``"update_id": 5``, ``'first_name':
'…'``, ``username='…'``), into one line without the content (the update ids
and the exception type stay). It masks the bot token (``bot123456:***``), the
generic token shape and other secrets given (the webhook secret) in every
record.

It works on the record, not on a formatter: the message is rendered
(``msg % args``) and masked, the traceback is rendered and masked into
``exc_text`` (which ``logging.Formatter`` prints instead of formatting
``exc_info`` again) and ``exc_info`` is dropped, and ``stack_info`` is
masked. So whatever formatter a handler has, it only sees masked text;
a Formatter subclass would protect only the handlers whose formatter we
replaced, and would have to re-implement how each formats a record.
``install`` puts it on the root logger's handlers, which every logger
propagates to (python-telegram-bot's, aiohttp's, asyncio's, ours).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable

# (logger name prefix, start of the message template): records that carry update or request bodies.
BODY_RECORDS: tuple[tuple[str, str], ...] = (
    ("telegram", "Error while parsing updates! Received data was"),
    ("telegram", "Calling Bot API endpoint `%s` with parameters"),
    ("telegram", "Call to Bot API endpoint `%s` finished with return value"),
    ("telegram", "Can not load invalid JSON data"),
    ("telegram", "Something went wrong processing the data received from Telegram"),
    ("telegram", "Webhook received data"),
    ("telegram", "Processing update %s"),
    ("telegram", "Dropping pending update"),
    ("telegram", "Error while building CallbackContext for update"),
)

# Update content as JSON, as a Python dict's repr, or as a TelegramObject's repr: a field name and a value
# (a number for update_id, a string for the others), so source lines in tracebacks do not match.
_CONTENT = re.compile(
    r"""["']?\bupdate_id\b["']?\s*[:=]\s*\d"""
    r"""|["']?\b(?:first_name|last_name|username|phone_number)\b["']?\s*[:=]\s*["']""")
_UPDATE_IDS = re.compile(r"""update_id\b["']?\s*[:=]\s*(\d+)""")
# A BotFather token: the bot's id, a colon, 35 letters (30 or more, to be safe).
_TOKEN = re.compile(r"(?<!\d)(\d{6,}):[A-Za-z0-9_-]{30,}")
_DONE = "_wegwijs_private"


class PrivacyFilter(logging.Filter):
    """Put on a handler: rewrites records with personal data, masks secrets. Never drops a record."""

    def __init__(self, token: str | None = None, secrets: Iterable[str | None] = ()):
        super().__init__()
        self._replacements: list[tuple[str, str]] = []
        if token:
            bot_id, _, key = token.partition(":")
            self._replacements.append((token, f"{bot_id}:***"))
            if len(key) >= 8:  # the key alone, e.g. after a percent-encoded colon
                self._replacements.append((key, "***"))
        self._replacements += [(secret, "***") for secret in secrets if secret and len(secret) >= 8]

    def mask(self, text: str) -> str:
        """``text`` without the token, the secrets, or anything shaped like a token."""
        for secret, mask in self._replacements:
            text = text.replace(secret, mask)
        return _TOKEN.sub(r"\1:***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _DONE, False):  # several handlers: the record is already clean
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call must still not leak its arguments
            message = f"{record.msg!s} (arguments that could not be formatted left out)"
        details = _exception_text(record)
        if _carries_bodies(record) or _CONTENT.search(message):
            message, details = _without_content(record, message), None
        elif details and _CONTENT.search(details):
            message = f"{message} (traceback left out of the log: it may hold personal data{_exception_type(record)})"
            details = None
        record.msg, record.args = self.mask(message), ()
        record.exc_info = None
        record.exc_text = self.mask(details) if details else None
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        setattr(record, _DONE, True)
        return True


def _carries_bodies(record: logging.LogRecord) -> bool:
    template = record.msg if isinstance(record.msg, str) else ""
    return any(record.name.startswith(name) and template.startswith(start) for name, start in BODY_RECORDS)


def _exception_text(record: logging.LogRecord) -> str | None:
    if record.exc_text:
        return record.exc_text
    if record.exc_info and record.exc_info[0] is not None:
        return "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    return None


def _exception_type(record: logging.LogRecord) -> str:
    error = record.exc_info[1] if record.exc_info else None
    return f"; {type(error).__name__}" if error is not None else ""


def _without_content(record: logging.LogRecord, message: str) -> str:
    """One line instead of a record with personal data: its words up to the first quote, bracket
    or field (what happened), the update ids and the exception's type; not the content, nor the traceback."""
    content = _CONTENT.search(message)
    cut = min([i for i in (message.find(c) for c in "{[(<\"'`") if i >= 0]
              + ([content.start()] if content else []) + [200])
    ids = sorted({int(n) for n in _UPDATE_IDS.findall(message)})
    shown = f"; update ids {', '.join(map(str, ids[:20]))}{', …' if len(ids) > 20 else ''}" if ids else ""
    return (f"{message[:cut].rstrip(' :=')} … (left out of the log: it may hold personal data"
            f"{shown}{_exception_type(record)})")


def install(token: str | None = None, secrets: Iterable[str | None] = (),
            handlers: Iterable[logging.Handler] | None = None) -> PrivacyFilter:
    """Put one PrivacyFilter on ``handlers`` (by default the root logger's, after logging.basicConfig)."""
    privacy = PrivacyFilter(token, secrets)
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        handler.addFilter(privacy)
    return privacy
