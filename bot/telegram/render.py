"""Engine replies as Telegram messages: HTML-escaped text split safely at
Telegram's length limit, and inline keyboards."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.assistant import Button, Reply

MAX_MESSAGE = 4096
# Raw characters per piece of an over-long line: escaping can make one character five (& → &amp;).
_RAW_PIECE = 800
_RIGHT_TO_LEFT_MARK = "\u200f"


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def escaped_lines(text: str) -> list[str]:
    """``text`` as escaped HTML lines; an over-long line is cut into pieces
    that each fit a message even when every character is escaped."""
    lines = []
    for line in text.rstrip().splitlines() or [""]:
        pieces = [line[i : i + _RAW_PIECE] for i in range(0, len(line), _RAW_PIECE)] or [""]
        lines.extend(escape(piece) for piece in pieces)
    return lines


def _telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji is two."""
    return len(text.encode("utf-16-le")) // 2


def pack(lines: list[str]) -> list[str]:
    """Complete HTML lines packed into as few messages as Telegram allows,
    never splitting a line (so never a tag or an entity)."""
    chunks: list[list[str]] = [[]]
    length = 0
    for line in lines:
        size = _telegram_length(line)
        if chunks[-1] and length + 1 + size > MAX_MESSAGE:
            chunks.append([])
            length = -1
        chunks[-1].append(line)
        length += 1 + size
    return ["\n".join(chunk) or "…" for chunk in chunks]


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One button per row, except the feedback thumbs, which share a row."""
    if not buttons:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        key = InlineKeyboardButton(button.label[:64], callback_data=button.action)
        if button.action.startswith("down:") and rows and rows[-1][0].callback_data.startswith("up:"):
            rows[-1].append(key)
        else:
            rows.append([key])
    return InlineKeyboardMarkup(rows)


def html_lines(reply: Reply) -> list[str]:
    """The reply as lines of Telegram HTML, each complete in itself (no tag
    spans two lines), so that splitting between lines is always safe."""
    lines = []
    if reply.title:
        lines.append(f"<b>{escape(reply.title)}</b>")
    lines.extend(escaped_lines(reply.text))
    lines.extend(f'🔗 <a href="{html.escape(link.url)}">{escape(link.title)}</a>' for link in reply.links)
    lines.extend(f"<i>{escape(note)}</i>" for note in reply.notes)
    if reply.direction == "rtl":
        # A line starting with a Latin term (OCMW…) would otherwise be laid out left to right.
        lines = [_RIGHT_TO_LEFT_MARK + line if line and not line.startswith("<") else line for line in lines]
    return lines


def messages(reply: Reply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The reply as (HTML text, keyboard) messages no longer than Telegram
    allows; the keyboard goes with the last one."""
    chunks = pack(html_lines(reply))
    markup = keyboard(reply.buttons)
    return [(chunk, markup if n == len(chunks) - 1 else None) for n, chunk in enumerate(chunks)]
