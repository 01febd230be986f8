"""The volunteers' queue as one text: open tickets, oldest first, with age
and claimant. The terminal and the volunteers' group show the same."""

from __future__ import annotations

import datetime as dt

from bot.i18n import native_name, translator
from bot.people.store import Store


def queue_text(store: Store, lang: str) -> str:
    t = translator(lang)
    tickets = store.open_tickets()
    if not tickets:
        return t.gettext("No open tickets.")
    now = dt.datetime.now(dt.timezone.utc)
    lines = []
    for ticket in tickets:
        minutes = int((now - dt.datetime.fromisoformat(ticket.created)).total_seconds() // 60)
        lines.append(" · ".join(filter(None, [
            f"#{ticket.id}", native_name(ticket.language) if ticket.language else "?", ticket.topic or "-",
            t.gettext("waiting {minutes} min", minutes=minutes),
            ticket.claimed_by and t.gettext("claimed"), "EMERGENCY" if ticket.emergency else None])))
    return "\n".join(lines)
