"""The webhook server (bot/telegram/webhook.py), over real HTTP on 127.0.0.1:
the secret before the body, the size before the body, the update in the
store before Telegram's 200, and the update through the real Application to
the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time

import httpx
import pytest
from aiohttp import web
from telegram.ext import AIORateLimiter

from bot.assistant import Assistant
from bot.settings import Settings, VolunteerGroup
from bot.telegram.app import build_application
from bot.telegram.webhook import MAX_BODY, SECRET_HEADER, WebhookServer
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.telegram_bot import ALWAYS_OPEN, PERSON

SECRET = "a-long-enough-secret"
MIB = 1024 * 1024


class Hook:
    """The real Application, started without its updater, behind a WebhookServer on a free port."""

    def __init__(self, fake: FakeTelegram, store, application, server: WebhookServer):
        self.fake, self.store, self.application, self.server = fake, store, application, server
        self.url = f"http://127.0.0.1:{server.port}/telegram"
        self.queued: list[list[str]] = []  # what the store held as unhandled at each put on the queue
        original_put = application.update_queue.put

        async def put(update):
            self.queued.append(store.unhandled_updates())
            await original_put(update)

        application.update_queue.put = put

    async def post(self, body: bytes | str | dict, secret: str | None = SECRET, **headers: str) -> httpx.Response:
        if secret is not None:
            headers[SECRET_HEADER] = secret
        content = json.dumps(body) if isinstance(body, dict) else body
        async with httpx.AsyncClient() as client:
            return await client.post(self.url, content=content,
                                     headers={"Content-Type": "application/json", **headers})


@pytest.fixture
async def hook(engine, store, tmp_path):
    fake = FakeTelegram()
    await fake.start()
    settings = Settings(token=TOKEN, groups=(VolunteerGroup(fake.group_id),), admins=frozenset(), data_dir=tmp_path,
                        office_hours=ALWAYS_OPEN, coalesce_seconds=0, api_base_url=fake.base_url,
                        api_file_url=fake.base_file_url, webhook_url="https://bot.example.org/telegram",
                        webhook_secret=SECRET, webhook_listen="127.0.0.1", webhook_port=0)
    application = build_application(settings, Assistant(engine, store, office_hours=ALWAYS_OPEN), store,
                                    rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=2))
    await application.initialize()
    await application.start()
    server = WebhookServer(application, store, secret=SECRET, path="/telegram", listen="127.0.0.1", port=0)
    await server.start()
    try:
        yield Hook(fake, store, application, server)
    finally:
        await server.stop()
        await application.stop()
        await application.shutdown()
        await fake.stop()


@pytest.fixture
def reads(monkeypatch):
    """Every time a request handler reads a body (aiohttp's Request.read)."""
    calls = []
    original = web.BaseRequest.read

    async def read(self):
        calls.append(self.path)
        return await original(self)

    monkeypatch.setattr(web.BaseRequest, "read", read)
    return calls


async def raw_exchange(port: int, head: str, body: bytes = b"", timeout: float = 2.0) -> tuple[int, bytes, float]:
    """Send a request head (and perhaps the start of a body) over a plain socket; the status, everything
    the server sent until it closed the connection, and how long that took."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout)  # until the server closes
        return int(answer.split()[1]), answer, time.monotonic() - started
    finally:
        writer.close()


def head(port: int, *lines: str, path: str = "/telegram") -> str:
    return "\n".join([f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *lines, ""])


# the secret comes first


@pytest.mark.parametrize("secret_line", [f"{SECRET_HEADER}: wrong", f"{SECRET_HEADER}: {SECRET}x", None])
async def test_without_the_right_secret_the_body_is_never_read(hook, reads, secret_line):
    port = hook.server.port
    # 90 MiB announced, a few bytes sent: a server that read the body before the secret would wait for the rest.
    lines = ["Content-Type: application/json", f"Content-Length: {90 * MIB}"] + ([secret_line] if secret_line else [])
    status, _, took = await raw_exchange(port, head(port, *lines), b'{"update_id": 1')
    assert status == 403
    assert took < 1.0  # answered and closed at once, without waiting for (or draining) the body
    assert reads == [] and hook.queued == [] and hook.store.unhandled_updates() == []


async def test_a_large_body_streamed_without_the_secret_is_cut_off(hook, reads):
    port = hook.server.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head(port, f"{SECRET_HEADER}: wrong", "Transfer-Encoding: chunked").replace("\n", "\r\n").encode()
                 + b"\r\n")
    chunk = b"%x\r\n%s\r\n" % (MIB, b"x" * MIB)
    sent, started = 0, time.monotonic()
    answer = asyncio.ensure_future(reader.read())
    try:
        while sent < 50 * MIB and not answer.done():
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), 5)
            sent += MIB
    except (ConnectionError, OSError):
        pass  # the server closed the connection: the rest of the body is not taken
    finally:
        took = time.monotonic() - started
        writer.close()
    try:
        received = await asyncio.wait_for(answer, 2)
    except (ConnectionError, OSError):
        received = b""  # a reset may arrive before the 403 is read; what matters is what was not taken
    assert received == b"" or received.split()[1] == b"403"
    assert sent < 50 * MIB / 2 and took < 5.0, (sent, took)
    assert reads == [] and hook.store.unhandled_updates() == []


async def test_expect_continue_without_the_secret_is_refused_before_the_body_is_sent(hook, reads):
    port = hook.server.port
    status, answer, _ = await raw_exchange(
        port, head(port, f"{SECRET_HEADER}: wrong", f"Content-Length: {90 * MIB}", "Expect: 100-continue"))
    assert status == 403 and b"100 Continue" not in answer
    assert reads == []


# then the size


async def test_the_right_secret_and_over_a_mebibyte_announced_is_refused_before_reading(hook, reads):
    port = hook.server.port
    status, _, took = await raw_exchange(port, head(port, f"{SECRET_HEADER}: {SECRET}", f"Content-Length: {2 * MIB}"))
    assert status == 413 and took < 1.0  # no body was sent at all: refused from the header
    assert reads == [] and hook.store.unhandled_updates() == []


async def test_the_right_secret_and_two_mebibytes_is_refused(hook):
    update = hook.fake.person_says(PERSON, "x" * (2 * MIB))
    answer = await hook.post(update)
    assert answer.status_code == 413
    assert hook.queued == [] and hook.store.unhandled_updates() == []


async def test_a_chunked_body_over_a_mebibyte_stops_being_read_at_the_limit(hook, reads):
    async def chunks():
        for _ in range(2):
            yield b"x" * MIB

    async with httpx.AsyncClient() as client:
        try:
            answer = await client.post(hook.url, content=chunks(), headers={SECRET_HEADER: SECRET})
            assert answer.status_code == 413
        except httpx.TransportError:
            pass  # the connection closed while the rest was still being sent: refused just the same
    assert reads == ["/telegram"]  # read up to the limit, and no further
    assert hook.queued == [] and hook.store.unhandled_updates() == []


async def test_a_body_of_exactly_the_limit_is_read(hook):
    update = hook.fake.person_says(PERSON, "hello")
    body = json.dumps(update)
    body += " " * (MAX_BODY - len(body))
    assert (await hook.post(body)).status_code == 200


# only POST on the path


async def test_other_methods_and_paths_are_refused(hook):
    async with httpx.AsyncClient() as client:
        assert (await client.get(hook.url, headers={SECRET_HEADER: SECRET})).status_code == 405
        other = hook.url.replace("/telegram", "/other")
        assert (await client.post(other, content=b"{}", headers={SECRET_HEADER: SECRET})).status_code == 404
        root = hook.url.replace("/telegram", "/")
        assert (await client.post(root, content=b"{}", headers={SECRET_HEADER: SECRET})).status_code == 404
    assert hook.store.unhandled_updates() == []


# then the body


@pytest.mark.parametrize("body", [
    b"not json at all, from Amina Zoya",
    b'["Amina Zoya"]',
    b'{"update_id": "7", "message": {"text": "Amina Zoya"}}',
    b'{"update_id": true, "message": {"text": "Amina Zoya"}}',
    b'{"message": {"text": "Amina Zoya"}}',
    b"\xff\xfe Amina Zoya",
    b"[" * 100_000,
])
async def test_a_body_that_is_not_an_update_is_refused_and_logged_without_it(hook, caplog, body):
    caplog.set_level(logging.WARNING)
    answer = await hook.post(body)
    assert answer.status_code == 400
    assert "is not an update" in caplog.text and "Zoya" not in caplog.text
    assert hook.queued == [] and hook.store.unhandled_updates() == []


# a good update


async def test_an_update_is_stored_before_it_is_queued_and_answered(hook):
    update = hook.fake.person_says(PERSON, "how much is the rental deposit")
    answer = await hook.post(update)
    assert answer.status_code == 200
    # At the moment it was put on the queue (before the 200), it was already in the store.
    [unhandled] = hook.queued
    assert [json.loads(body)["update_id"] for body in unhandled] == [update["update_id"]]
    [reply] = await hook.fake.wait_for("sendMessage", chat_id=PERSON)
    assert "deposit" in reply.params["text"].lower()
    await asyncio.sleep(0.1)
    assert hook.store.update_handled(update["update_id"]) and hook.store.unhandled_updates() == []


async def test_an_update_delivered_twice_is_handled_once(hook):
    update = hook.fake.person_says(PERSON, "how much is the rental deposit")
    assert (await hook.post(update)).status_code == 200
    await hook.fake.wait_for("sendMessage", chat_id=PERSON)
    assert (await hook.post(update)).status_code == 200  # Telegram did not see our first 200
    await asyncio.sleep(0.5)
    assert len(hook.fake.calls_to("sendMessage", chat_id=PERSON)) == 1


async def test_an_update_that_cannot_be_stored_gets_500_so_telegram_sends_it_again(hook, monkeypatch, caplog):
    def locked(updates):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(hook.store, "receive_updates", locked)
    update = hook.fake.person_says(PERSON, "how much is the rental deposit")
    assert (await hook.post(update)).status_code == 500
    assert hook.queued == []
    await asyncio.sleep(0.3)
    assert hook.fake.calls_to("sendMessage", chat_id=PERSON) == []
    assert "could not be stored" in caplog.text


async def test_an_update_the_library_cannot_read_is_accepted_and_does_not_block_the_next(hook, caplog):
    # A poll option without the field this python-telegram-bot requires: as from a newer Bot API.
    odd = hook.fake.person_sends(PERSON, poll={
        "id": "p1", "question": "?", "options": [{"text": "a", "voter_count": 0}], "total_voter_count": 0,
        "is_closed": False, "is_anonymous": True, "type": "regular", "allows_multiple_answers": False})
    assert (await hook.post(odd)).status_code == 200
    assert "cannot be read" in caplog.text
    update = hook.fake.person_says(PERSON, "how much is the rental deposit")
    assert (await hook.post(update)).status_code == 200
    [reply] = await hook.fake.wait_for("sendMessage", chat_id=PERSON)
    assert "deposit" in reply.params["text"].lower()


async def test_refusals_are_logged_at_most_once_a_minute(hook, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(5):
        assert (await hook.post(b"{}", secret="wrong")).status_code == 403
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1 and "without the right secret" in refusals[0].getMessage()


async def test_a_port_already_taken_is_a_start_failure_that_is_retried(hook):
    from telegram.error import NetworkError

    second = WebhookServer(hook.application, hook.store, secret=SECRET, path="/telegram", listen="127.0.0.1",
                           port=hook.server.port)
    with pytest.raises(NetworkError, match="cannot listen"):
        await second.start()
