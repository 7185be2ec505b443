"""The channels that carry a message, against real servers on 127.0.0.1 in
the test process: an SMTP server (aiosmtpd) and an HTTP server
(pytest-httpserver). Each way a send can fail is sorted into for now
(Transient: try again) or for good (Permanent)."""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from tests.helpers import settings_from
from workflows.config.settings import Delivery
from workflows.delivery.email import Mailer, SmtpSettings
from workflows.delivery.message import Attachment, Message, Permanent, Transient
from workflows.delivery.webhook import Hooks, WebhookSettings, new_secret

pytestmark = pytest.mark.integration

HOST = "127.0.0.1"
TO = ["desk-tn@example.eu", "head.unit@example.eu"]


def message(id: str = "0b9e2d7c-3f0a-4c1e-9a57-6f1b2c3d4e5f", **changes: Any) -> Message:
    return Message(
        **{
            "id": id,
            "event_type": "reminder",
            "subject": "Reminder: follow up the visit to Tunisia",
            "text": "The follow-up of the visit of 20 May is due on 3 June.",
            "html": "<p>The follow-up of the visit of <b>20 May</b> is due on 3 June.</p>",
            "attachments": (Attachment("briefing.pdf", b"%PDF-1.7 briefing", "application/pdf"),),
            "payload": {"task": "follow-up", "partner": "TN", "due_on": "2021-06-03"},
            **changes,
        }
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An SMTP server's handler keeping what it received; `answers` are given
    to DATA in turn (the last one then for good)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers) or ["250 2.0.0 OK queued as ABC123"]
        self.received: list[EmailMessage] = []
        self.peers: list[object] = []  # the client's address and port: one per connection
        self.servers: list[SMTP] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 <nobody@example.eu>: no such user"
        if address.startswith("busy@"):
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.servers.append(server)
        self.peers.append(session.peer)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer.startswith("250"):
            self.received.append(message_from_bytes(envelope.original_content or b"", policy=default))
        return answer


def body(email: EmailMessage, subtype: str) -> str:
    part = email.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content()).strip()


class HangsUp(Inbox):
    """Takes the message, then closes the connection before answering."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert server.transport is not None
        server.transport.close()
        return "250 OK never heard"


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """Starts an SMTP server on a free port with a handler; stopped after the test."""
    controllers: list[Controller] = []

    def start(handler: Inbox, **options: Any) -> SmtpSettings:
        port = free_port()
        controller = Controller(handler, hostname=HOST, port=port, **options)
        controller.start()
        controllers.append(controller)
        return SmtpSettings(host=HOST, port=port, security="none", timeout=5)

    yield start
    for controller in controllers:
        controller.stop()


def test_an_email_carries_its_text_its_html_its_attachment_and_its_identity(smtp_server: Any) -> None:
    inbox = Inbox()
    settings = smtp_server(inbox)

    with Mailer(settings) as mailer:
        reply = mailer.send(message(), to=TO)

    assert reply == "250 2.0.0 OK queued as ABC123"
    [email] = inbox.received
    assert email["Message-ID"] == "<0b9e2d7c-3f0a-4c1e-9a57-6f1b2c3d4e5f@localhost>"
    assert (email["From"], email["To"], email["Subject"]) == (
        "accord@localhost",
        "desk-tn@example.eu, head.unit@example.eu",
        "Reminder: follow up the visit to Tunisia",
    )
    assert body(email, "plain") == message().text
    assert "<b>20 May</b>" in body(email, "html")
    [attachment] = email.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content_type()) == ("briefing.pdf", "application/pdf")
    assert attachment.get_content() == b"%PDF-1.7 briefing"


def test_the_same_message_sent_twice_has_the_same_message_id_so_a_receiver_keeps_one(smtp_server: Any) -> None:
    inbox = Inbox()
    settings = smtp_server(inbox)

    with Mailer(settings) as mailer:
        mailer.send(message(), to=TO)
    with Mailer(settings) as mailer:
        mailer.send(message(), to=TO)
        mailer.send(message(id="5c1d0f4e-0000-4000-8000-000000000001"), to=TO)

    ids = [email["Message-ID"] for email in inbox.received]
    assert ids[0] == ids[1] != ids[2]


def test_text_that_is_not_ascii_arrives_as_written(smtp_server: Any) -> None:
    inbox = Inbox()
    settings = smtp_server(inbox)

    with Mailer(settings) as mailer:
        mailer.send(message(subject="Réunion à Tunis", text="Ordre du jour : coopération", html=None), to=TO)

    [email] = inbox.received
    assert email["Subject"] == "Réunion à Tunis"
    assert body(email, "plain") == "Ordre du jour : coopération"


def test_a_connection_closed_after_the_message_before_its_answer_is_tried_again_later(smtp_server: Any) -> None:
    settings = smtp_server(HangsUp())

    with Mailer(settings) as mailer, pytest.raises(Transient) as caught:
        mailer.send(message(), to=TO)

    assert caught.value.permanent is False
    assert caught.value.reason == (f"the mail server {HOST}:{settings.port} closed the connection before answering")


def test_a_server_that_says_later_is_tried_again_and_then_takes_the_message(smtp_server: Any) -> None:
    inbox = Inbox("451 4.3.0 Temporary local problem, try later", "250 OK queued as LATER1")
    settings = smtp_server(inbox)

    with Mailer(settings) as mailer:
        with pytest.raises(
            Transient, match=re.escape("refused the message: 451 4.3.0 Temporary local problem, try later")
        ):
            mailer.send(message(), to=TO)
        reply = mailer.send(message(), to=TO)  # the connection still serves

    assert reply == "250 OK queued as LATER1"
    assert len(inbox.received) == 1
    assert len(set(inbox.peers)) == 1


def test_a_message_refused_for_good_is_permanent(smtp_server: Any) -> None:
    settings = smtp_server(Inbox("554 5.6.0 Message content rejected"))

    with Mailer(settings) as mailer, pytest.raises(Permanent) as caught:
        mailer.send(message(), to=TO)

    assert caught.value.permanent is True
    assert caught.value.reason.endswith("refused the message: 554 5.6.0 Message content rejected")


def test_every_address_refused_for_good_is_permanent(smtp_server: Any) -> None:
    inbox = Inbox()
    settings = smtp_server(inbox)

    with Mailer(settings) as mailer, pytest.raises(Permanent) as caught:
        mailer.send(message(), to=["nobody@example.eu"])

    assert "refused 1 of 1 address(es) (nobody@example.eu: 550 5.1.1 <nobody@example.eu>: no such user)" in str(
        caught.value
    )
    assert inbox.received == []


def test_an_address_refused_for_good_is_named_and_the_others_receive_the_message(smtp_server: Any) -> None:
    inbox = Inbox()
    settings = smtp_server(inbox)

    with Mailer(settings) as mailer:
        reply = mailer.send(message(), to=["desk-tn@example.eu", "nobody@example.eu"])

    assert (
        reply
        == "250 2.0.0 OK queued as ABC123 (refused: nobody@example.eu: 550 5.1.1 <nobody@example.eu>: no such user)"
    )
    assert len(inbox.received) == 1


def test_an_address_refused_for_now_holds_the_message_back_from_all_so_that_all_receive_it_once(
    smtp_server: Any,
) -> None:
    inbox = Inbox()
    settings = smtp_server(inbox)

    with (
        Mailer(settings) as mailer,
        pytest.raises(Transient, match=re.escape("busy@example.eu: 450 4.2.1 mailbox busy")),
    ):
        mailer.send(message(), to=["desk-tn@example.eu", "busy@example.eu"])

    assert inbox.received == []


def test_many_messages_go_over_one_connection(smtp_server: Any) -> None:
    inbox = Inbox()
    settings = smtp_server(inbox)

    with Mailer(settings) as mailer:
        for number in range(20):
            mailer.send(message(id=f"00000000-0000-4000-8000-{number:012d}"), to=TO)

    assert len(inbox.received) == 20
    assert len(set(inbox.peers)) == 1


def test_a_connection_the_server_closed_while_idle_is_opened_again_once(smtp_server: Any) -> None:
    inbox = Inbox()
    settings = smtp_server(inbox)

    with Mailer(settings) as mailer:
        mailer.send(message(), to=TO)
        server = inbox.servers[0]
        assert server.transport is not None
        server.loop.call_soon_threadsafe(server.transport.close)
        time.sleep(0.2)
        reply = mailer.send(message(id="5c1d0f4e-0000-4000-8000-000000000002"), to=TO)

    assert reply == "250 2.0.0 OK queued as ABC123"
    assert len(inbox.received) == 2
    assert len(set(inbox.peers)) == 2


def test_a_server_out_of_reach_is_tried_again_later() -> None:
    settings = SmtpSettings(host=HOST, port=free_port(), security="none", timeout=2)

    with Mailer(settings) as mailer, pytest.raises(Transient, match="refused the connection"):
        mailer.send(message(), to=TO)


# STARTTLS and a login, with certificates of a test authority.


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(smtp_server: Any, authority: trustme.CA, tmp_path: Path) -> Any:
    """An SMTP server that takes mail only over STARTTLS and from the user
    accord (password s3cret), and the settings that trust its authority."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(HOST).configure_cert(context)
    cafile = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(cafile))
    logins: list[tuple[str, bytes]] = []

    def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((mechanism, data.login))
        # Not handled: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=(data.login, data.password) == (b"accord", b"s3cret"), handled=False)

    inbox = Inbox()
    settings = smtp_server(
        inbox, tls_context=context, require_starttls=True, authenticator=authenticator, auth_required=True
    )
    return (
        inbox,
        logins,
        SmtpSettings(host=HOST, port=settings.port, user="accord", password="s3cret", timeout=5, cafile=str(cafile)),
    )


def test_starttls_and_a_login_send_the_message(tls_server: Any) -> None:
    inbox, logins, settings = tls_server

    with Mailer(settings) as mailer:
        assert mailer.send(message(), to=TO).startswith("250")

    assert len(inbox.received) == 1
    assert [login for _, login in logins] == [b"accord"]
    assert logins[0][0] in ("PLAIN", "LOGIN")


def test_the_authority_trusted_is_the_one_ACCORD_SMTP_CA_FILE_names(tls_server: Any) -> None:
    inbox, _, given = tls_server
    delivery = settings_from(
        Delivery,
        {
            "ACCORD_SMTP_HOST": given.host,
            "ACCORD_SMTP_PORT": str(given.port),
            "ACCORD_SMTP_USER": "accord",
            "ACCORD_SMTP_PASSWORD": "s3cret",
            "ACCORD_SMTP_CA_FILE": given.cafile,
        },
    )
    assert delivery.smtp is not None

    with Mailer(delivery.smtp) as mailer:
        assert mailer.send(message(), to=TO).startswith("250")

    assert len(inbox.received) == 1


def test_a_wrong_password_is_permanent(tls_server: Any) -> None:
    _, _, settings = tls_server
    wrong = SmtpSettings(**{**vars(settings), "password": "guess"})

    with Mailer(wrong) as mailer, pytest.raises(Permanent, match="refused the login of accord: 535"):
        mailer.send(message(), to=TO)


def test_a_server_whose_certificate_is_not_trusted_is_permanent(tls_server: Any) -> None:
    _, _, settings = tls_server
    untrusting = SmtpSettings(**{**vars(settings), "cafile": None})

    with (
        Mailer(untrusting) as mailer,
        pytest.raises(
            Permanent,
            match=r"is not to be trusted: unable to get local issuer .*\(an authority of your own: ACCORD_SMTP_CA_FILE",
        ),
    ):
        mailer.send(message(), to=TO)


# Webhooks.

SECRET = new_secret()
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host=HOST, port=0, threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver(http_server: HTTPServer) -> Iterator[HTTPServer]:
    """An HTTP server on 127.0.0.1, answering as each test tells it."""
    yield http_server
    http_server.clear()


def hooks(timeout: float = 5) -> Hooks:
    return Hooks(WebhookSettings(secret=SECRET, timeout=timeout))


def test_a_webhook_is_signed_so_that_the_receiver_can_verify_it(receiver: HTTPServer) -> None:
    receiver.expect_request("/hooks/desk-tn", method="POST").respond_with_data("accepted", status=200)
    at = datetime.now(UTC)

    with hooks() as sender:
        reply = sender.send(message(), receiver.url_for("/hooks/desk-tn"), at=at)

    assert reply == "200 OK: accepted"
    [(request, _)] = receiver.log
    body = Webhook(SECRET).verify(request.get_data(), dict(request.headers))
    assert body == {
        "type": "reminder",
        "timestamp": at.isoformat(),
        "data": {"task": "follow-up", "partner": "TN", "due_on": "2021-06-03"},
    }
    assert request.headers["webhook-id"] == message().id
    assert request.headers["content-type"] == "application/json"


def test_a_webhook_signed_with_another_secret_does_not_verify(receiver: HTTPServer) -> None:
    receiver.expect_request("/hook").respond_with_data("")

    with hooks() as sender:
        assert sender.send(message(), receiver.url_for("/hook"), at=datetime.now(UTC)) == "200 OK"

    [(request, _)] = receiver.log
    with pytest.raises(Exception, match="No matching signature found"):
        Webhook(new_secret()).verify(request.get_data(), dict(request.headers))


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_a_receiver_in_trouble_is_tried_again_later(receiver: HTTPServer, status: int) -> None:
    receiver.expect_request("/hook").respond_with_data("down for maintenance", status=status)

    with hooks() as sender, pytest.raises(Transient) as caught:
        sender.send(message(), receiver.url_for("/hook"), at=NOW)

    assert caught.value.reason.startswith(f"the webhook at {HOST} answered {status} ")
    assert caught.value.reason.endswith(": down for maintenance")


@pytest.mark.parametrize("status", [404, 400, 410, 301])
def test_a_receiver_that_refuses_the_message_is_permanent(receiver: HTTPServer, status: int) -> None:
    receiver.expect_request("/hook").respond_with_data("no such hook", status=status)

    with hooks() as sender, pytest.raises(Permanent, match=f"the webhook at {HOST} answered {status}"):
        sender.send(message(), receiver.url_for("/hook"), at=NOW)


def test_a_receiver_too_slow_to_answer_is_tried_again_later(receiver: HTTPServer) -> None:
    answered = threading.Event()

    def slow(request: Request) -> Response:
        answered.wait(2)
        return Response("late")

    receiver.expect_request("/hook").respond_with_handler(slow)

    with (
        hooks(timeout=0.3) as sender,
        pytest.raises(Transient, match=f"the webhook at {HOST} did not answer within 0.3 s"),
    ):
        sender.send(message(), receiver.url_for("/hook"), at=NOW)
    answered.set()


def test_a_receiver_out_of_reach_is_tried_again_later() -> None:
    with hooks() as sender, pytest.raises(Transient, match=f"the webhook at {HOST} could not be reached"):
        sender.send(message(), f"http://{HOST}:{free_port()}/hook", at=NOW)


def test_webhooks_are_never_sent_unsigned() -> None:
    with pytest.raises(Permanent, match="webhooks are always signed: set ACCORD_WEBHOOK_SECRET"):
        Hooks(WebhookSettings(secret=None))
