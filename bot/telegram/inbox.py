"""Exactly-once handling of what Telegram delivers.

python-telegram-bot confirms a batch of updates to Telegram with its next
getUpdates call, whether or not their handlers have run; a process killed
in between would lose them. Here every update is written to the store as
it arrives (``InboxRequest``), handled at most once (``UpdateOrder`` skips
an update handled before and marks each one when its handlers are done),
and replayed after a restart when it was received but never handled
(``replay``). Handlers that store something key it on the update id, so an
update redelivered after a crash in the middle of its handler adds nothing
twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor

from bot.people.store import Store
from bot.telegram.http import AiohttpRequest

log = logging.getLogger(__name__)
# python-telegram-bot's own limit on concurrent updates, left wide open (see UpdateOrder)
_UNLIMITED = 2**31 - 1


class InboxRequest(AiohttpRequest):
    """The getUpdates connection: the updates of each answer are stored
    before python-telegram-bot sees them (and before they are confirmed).

    An update the library cannot read (a Bot API newer than it, say) would
    make every getUpdates fail again with the same offset, and the bot would
    stop hearing anyone. When an offset is asked for again, the answer's
    updates are tried one by one and an unreadable one is passed on as an
    empty update, so the offset moves on; it stays in the store, and the log
    says so. (Trying every answer would parse each update twice: a sixth of
    the CPU an update costs.)"""

    def __init__(self, store: Store):
        super().__init__(1)
        self.store = store
        self._last_offset: object = None

    async def do_request(self, url: str, method: str, request_data=None, **timeouts: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(url, method, request_data, **timeouts)
        if status == 200 and url.endswith("/getUpdates"):
            offset = request_data.parameters.get("offset") if request_data else None
            asked_again, self._last_offset = offset == self._last_offset, offset
            answer = json.loads(payload)
            if answer.get("ok") and answer.get("result"):
                updates = answer["result"]
                self.store.receive_updates(updates)
                if asked_again and not _readable(updates):
                    answer["result"] = [update if _readable([update]) else _unreadable(update) for update in updates]
                    payload = json.dumps(answer).encode()
        return status, payload


def _readable(updates: list[dict]) -> bool:
    try:
        Update.de_list(updates, None)
    except Exception:  # noqa: BLE001 - whatever the library raises, the update must not block the others
        return False
    return True


def _unreadable(update: dict) -> dict:
    log.warning("update %s cannot be read by python-telegram-bot (fields: %s); skipped, kept in the store",
                update.get("update_id"), ", ".join(sorted(update)))
    return {"update_id": update["update_id"]}


class UpdateOrder(BaseUpdateProcessor):
    """Updates of different chats run concurrently, up to ``concurrent`` at
    a time; those of one chat in order, so a person's burst is answered and
    relayed as it was typed. An update already handled (or being handled) is
    skipped. An update that ``urgent`` recognises on receipt (an emergency)
    does not wait for a free place behind a crowd.

    python-telegram-bot makes a task of every update at once and lets them
    through its own semaphore first come, first served; that semaphore is
    set wide open here, and the limit is this class's own."""

    def __init__(self, store: Store, concurrent: int = 64, urgent: Callable[[Update], bool] = lambda update: False):
        super().__init__(_UNLIMITED)
        self.store = store
        self.urgent = urgent
        self._places = asyncio.Semaphore(concurrent)
        self._locks: defaultdict[int | None, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._running: set[int] = set()
        # Ids above every id stored at start are new, unless this process handled them: no query needed.
        self._new_above = store.last_update_id()
        self._handled_here: set[int] = set()

    def _seen(self, update_id: int) -> bool:
        if update_id in self._running or update_id in self._handled_here:
            return True
        return update_id <= self._new_above and self.store.update_handled(update_id)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None and self._seen(update_id):
            coroutine.close()
            log.info("update %s was handled before; skipped", update_id)
            return
        chat = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
        lock = self._locks[chat]
        if update_id is not None:
            self._running.add(update_id)
        try:
            if isinstance(update, Update) and self.urgent(update):
                async with lock:
                    await coroutine
            else:
                async with self._places, lock:
                    await coroutine
        finally:
            if update_id is not None:
                self.store.mark_update_handled(update_id)
                self._running.discard(update_id)
                self._handled_here.add(update_id)
                if len(self._handled_here) > 100_000:  # Telegram redelivers only recent ones
                    self._handled_here = set(sorted(self._handled_here)[-50_000:])
            if not lock.locked() and self._locks.get(chat) is lock:
                del self._locks[chat]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def replay(application: Application, store: Store) -> int:
    """Queue the updates that were received but not handled before the last
    stop (a crash, a SIGKILL); returns how many."""
    bodies = store.unhandled_updates()
    replayed = 0
    for body in bodies:
        data = json.loads(body)
        try:
            update = Update.de_json(data, application.bot)
        except Exception:  # noqa: BLE001 - one unreadable update must not hold back those behind it
            log.warning("stored update %s cannot be read by python-telegram-bot; skipped", data["update_id"])
            store.mark_update_handled(data["update_id"])
            continue
        await application.update_queue.put(update)
        replayed += 1
    if replayed:
        log.info("replaying %d update(s) received before the restart", replayed)
    return replayed
