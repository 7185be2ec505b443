"""The receiving ends of Accord's outputs in the hostile-input suite: an
SMTP server and an HTTP receiver on 127.0.0.1 that keep what they are
sent as it came, and pseudo-terminals that keep what a command shows."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from tests.integration.test_deliveries import free_port

ACCORD = str(Path(sys.executable).with_name("accord"))
# The secret webhooks are signed with, and verified by the receiver.
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Mailbox:
    """An SMTP server's receiving end: each message as it came over the wire."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.content)
        return "250 OK"


@contextmanager
def mail_server() -> Iterator[Mailbox]:
    """A Mailbox serving on 127.0.0.1 (its port as `.port`) while in use."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


class Receiver:
    """A webhook receiver: each request's body, its signature checked."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.bodies: list[dict[str, Any]] = []
        server.expect_request(re.compile("/hooks/.*"), method="POST").respond_with_handler(self.handler)

    def handler(self, request: Request) -> Response:
        self.bodies.append(Webhook(SECRET).verify(request.get_data(as_text=True), dict(request.headers)))
        return Response("taken")


def on_a_terminal(store: str, *args: str) -> bytes:
    """What a command writes to a terminal (a pseudo-terminal of the
    test's); it must succeed."""
    [written] = on_terminals(store, list(args))
    return written


def on_terminals(store: str, *commands: list[str]) -> list[bytes]:
    """What each command writes to a terminal of its own (a pseudo-terminal
    of the test's, 160 columns, its pager `cat`), the commands run at once;
    each must succeed. NO_COLOR is as the test's environment has it."""
    env = {**os.environ, "ACCORD_DB": store, "COLUMNS": "160", "PAGER": "cat", "TERM": "xterm-256color"}
    running = []
    for command in commands:
        leader, follower = pty.openpty()
        process = subprocess.Popen([ACCORD, *command], stdin=follower, stdout=follower, stderr=follower, env=env)
        os.close(follower)
        running.append((leader, process))
    return [_written(leader, process) for leader, process in running]


def _written(leader: int, process: subprocess.Popen[bytes]) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command ended: its terminal is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    written = b"".join(chunks)
    assert process.wait(timeout=60) == 0, written.decode(errors="replace")[-2000:]
    return written
