"""Rate limits with a lane for emergencies.

Telegram takes about 30 messages a second from a bot and about 20 a minute
into one group; python-telegram-bot's AIORateLimiter queues every request
behind those limits, first come, first served. Behind a crowd of new people
(or of tickets) an emergency answer would wait minutes. A request sent with
``rate_limit_args=URGENT`` skips those queues, and a 429 does not make it
give up: it waits as long as Telegram says, again and again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

URGENT = "urgent"
# An urgent request keeps trying through 429s this long; after that it is kept for the next round.
URGENT_PATIENCE_SECONDS = 15 * 60


class UrgentFirstRateLimiter(AIORateLimiter):
    """AIORateLimiter, except for requests marked URGENT."""

    async def process_request(self, callback, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: Any):
        if rate_limit_args != URGENT:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        deadline = time.monotonic() + URGENT_PATIENCE_SECONDS
        while True:
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = _seconds(error.retry_after) + 0.1
                if time.monotonic() + wait > deadline:
                    raise
                log.info("urgent %s: Telegram asks to wait %.1f s; waiting", endpoint, wait)
                await asyncio.sleep(wait)


def _seconds(retry_after: int | float | dt.timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, dt.timedelta) else float(retry_after)
