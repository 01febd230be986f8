"""The HTTP client under python-telegram-bot: aiohttp instead of the default
httpx, through the library's own extension point (a BaseRequest subclass).

httpx goes through anyio, whose task lookups and locks cost about as much
as the rest of an answer; with aiohttp a sendMessage costs a third of the
CPU. Bodies go as JSON (the Bot API takes it; serialised fields such as
reply_markup stay JSON text, which it accepts too) rather than as a form:
percent-encoding Arabic or Tigrinya answers byte by byte cost a fifth of
the throughput. Together they let one process carry a busy hour (see
benchmarks/telegram_throughput.py). Everything above the socket (error
codes, retry_after, JSON parsing) stays python-telegram-bot's.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A pool of keep-alive connections to the Bot API. Timeouts left at
    their default take the ones given here, as HTTPXRequest does."""

    def __init__(self, connections: int = 8, *, read_timeout: float | None = 5.0, write_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 10.0,
                 media_write_timeout: float | None = 20.0):
        self._connections = connections
        self._defaults = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout,
                          "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._defaults["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE,
                         pool_timeout=BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        given = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout, "pool": pool_timeout}
        limits = {name: self._defaults[name] if isinstance(value, DefaultValue) else value
                  for name, value in given.items()}
        if files and isinstance(write_timeout, DefaultValue):
            limits["write"] = self._media_write_timeout
        # aiohttp has no write timeout of its own: the whole request is bounded by the sum.
        total = (None if None in limits.values()
                 else limits["connect"] + limits["write"] + limits["read"] + limits["pool"])
        timeout = aiohttp.ClientTimeout(total=total, connect=limits["pool"], sock_connect=limits["connect"],
                                        sock_read=limits["read"])
        try:
            async with self._session.request(method, url, data=_body(request_data, files), timeout=timeout) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error


def _body(request_data: RequestData | None, files) -> aiohttp.FormData | aiohttp.BytesPayload | None:
    """JSON, or multipart when files are uploaded: both are the Bot API's own
    formats, and JSON encodes Arabic or Tigrinya text in C where a form would
    percent-encode every byte in Python."""
    if request_data is None:
        return None
    if not files:
        return aiohttp.BytesPayload(request_data.json_payload, content_type="application/json")
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
