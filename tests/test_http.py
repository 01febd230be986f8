"""The aiohttp client under python-telegram-bot: uploads, timeouts and broken connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.telegram.http import AiohttpRequest
from tests.fake_telegram import TOKEN, FakeTelegram


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


async def test_fields_and_uploads_arrive_as_the_bot_api_takes_them(fake: FakeTelegram) -> None:
    async with Bot(TOKEN, base_url=fake.base_url, request=AiohttpRequest()) as bot:
        sent = await bot.send_message(42, "héllo <b>wörld</b>", parse_mode="HTML")
        await bot.send_document(42, b"%PDF-1.4 ...", filename="letter.pdf", caption="my letter")
    assert sent.text == "héllo wörld"
    assert fake.calls_to("sendMessage")[0].params["text"] == "héllo <b>wörld</b>"
    upload = fake.calls_to("sendDocument")[0].params
    assert upload["document"] == {"filename": "letter.pdf", "content": b"%PDF-1.4 ..."}
    assert upload["caption"] == "my letter"


async def _misbehaving_server(handle: Callable) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/bot"


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(65536)
    await asyncio.sleep(5)
    writer.close()


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(1)
    writer.transport.abort()


@pytest.mark.parametrize(("handle", "error"), [(_silent, TimedOut), (_hang_up, NetworkError)])
async def test_a_silent_or_hung_up_server_gives_telegrams_own_errors(handle, error) -> None:
    server, base_url = await _misbehaving_server(handle)
    request = AiohttpRequest(read_timeout=0.3)
    await request.initialize()
    try:
        with pytest.raises(error):
            await request.post(f"{base_url}{TOKEN}/sendMessage", None)
    finally:
        await request.shutdown()
        server.close()
