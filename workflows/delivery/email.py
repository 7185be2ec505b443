"""Email through an SMTP server: one connection kept open across many
messages, each message's Message-ID its delivery's identity, so that a
message sent twice (the first answer lost) is one message to the receiver.

    with Mailer(settings.delivery.smtp) as mailer:
        reply = mailer.send(message, to=["desk-tn@example.eu"])  # "250 2.0.0 OK queued as ..."
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email import encoders
from email.message import Message as EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr
from types import TracebackType
from typing import cast

from workflows.config.settings import SmtpSettings
from workflows.delivery.message import DeliveryFailed, Message, Permanent, Transient, Uncomposable
from workflows.escape.headers import header_text, header_value

__all__ = ["Mailer", "SmtpSettings", "compose"]


# As SMTP carries a message: lines end in CRLF.
WIRE = compat32.clone(linesep="\r\n")


def compose(message: Message, to: Sequence[str], sender: str) -> EmailMessage:
    """The email of `message`: a text part and, if there is one, an HTML
    alternative, then the attachments. Made with the email package's
    classic classes, a quarter of the cost of its newer EmailMessage; text
    is UTF-8 in base64 or quoted-printable and headers are encoded, so a
    server that does not speak 8BITMIME takes it as it is."""
    body: MIMEBase = MIMEText(message.text, "plain", "utf-8")
    if message.html is not None:
        body = MIMEMultipart("alternative", _subparts=[body, MIMEText(message.html, "html", "utf-8")])
    email = MIMEMultipart("mixed", _subparts=[body]) if message.attachments else body
    for attachment in message.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        part = MIMEBase(maintype, subtype or "octet-stream")
        part.set_payload(attachment.content)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
        email.attach(part)
    name, address = parseaddr(sender)
    email["From"] = formataddr((header_text(name), address), "utf-8")
    email["To"] = ", ".join(to)
    # One line, whatever the record holds (workflows.escape.headers); the
    # classic classes take a Header as a value and fold it.
    email["Subject"] = cast(str, header_value(message.subject))
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = f"<{message.id}@{domain_of(sender)}>"
    if message.deliveries:
        # Which deliveries this message carries, for a person tracing one (`accord deliveries`).
        email["X-Accord-Deliveries"] = ", ".join(message.deliveries)
    # Sent by a program: out-of-office replies and the like are not sent back (RFC 3834).
    email["Auto-Submitted"] = "auto-generated"
    return email


def domain_of(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


class _Gone(Exception):
    """The connection was found closed before the server took anything."""


class Mailer:
    """One connection to the mail server, opened at the first message and
    kept for the next: if the server closed it in between, it is opened
    again once."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, message: Message, to: Sequence[str]) -> str:
        """Send `message` to the addresses; the server's answer to the
        message (its queue id), or DeliveryFailed saying why not. Some
        addresses refused for good: the others are sent to, and the answer
        names those refused. Some refused for now: no one is sent to, so that
        the next attempt sends to all once."""
        if not to:
            raise Permanent("no email address to send to")
        try:
            data = compose(message, to, self.settings.sender).as_bytes(policy=WIRE)
        except Exception as error:  # whatever it was, this message will never be sent: a dead letter
            raise Uncomposable("the email", error) from error
        reused = self._smtp is not None
        try:
            return self._attempt(to, data)
        except _Gone:
            if reused:  # closed while idle: once more, on a new connection
                try:
                    return self._attempt(to, data)
                except _Gone:
                    pass
        raise Transient(f"{self._server} closed the connection before taking the message")

    def _attempt(self, to: Sequence[str], data: bytes) -> str:
        try:
            return self._transaction(self._connection(), to, data)
        except _Gone:
            self._drop()
            raise
        except smtplib.SMTPServerDisconnected:
            # Perhaps after the message was sent, its answer lost: the next
            # attempt sends it again with the same Message-ID.
            self._drop()
            raise Transient(f"{self._server} closed the connection before answering") from None
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise _failure(self._server, error) from None

    @property
    def _server(self) -> str:
        return f"the mail server {self.settings.host}:{self.settings.port}"

    def _transaction(self, smtp: smtplib.SMTP, to: Sequence[str], data: bytes) -> str:
        try:
            code, reply = smtp.mail(parseaddr(self.settings.sender)[1])
        except smtplib.SMTPServerDisconnected:
            raise _Gone from None
        if code == 421:  # closing the connection: it had been idle too long
            raise _Gone
        if code != 250:
            raise self._refused(smtp, f"refused the sender: {_reply(code, reply)}", code)
        refused = []
        for address in to:
            code, reply = smtp.rcpt(address)
            if code not in (250, 251):
                refused.append((address, code, reply))
        said = "; ".join(f"{address}: {_reply(code, reply)}" for address, code, reply in refused)
        for_now = [code for _, code, _ in refused if code < 500]
        if for_now or len(refused) == len(to):
            what = f"refused {len(refused)} of {len(to)} address(es) ({said})"
            raise self._refused(smtp, what, for_now[0] if for_now else refused[0][1])
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPDataError as error:
            raise self._refused(
                smtp, f"refused the message: {_reply(error.smtp_code, error.smtp_error)}", error.smtp_code
            ) from None
        if code != 250:
            raise self._refused(smtp, f"refused the message: {_reply(code, reply)}", code)
        return _reply(code, reply) + (f" (refused: {said})" if refused else "")

    def _refused(self, smtp: smtplib.SMTP, what: str, code: int) -> DeliveryFailed:
        """The failure to raise, by the server's code, the transaction reset
        so that the connection serves the next message."""
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
        said = f"{self._server} {what}"
        return Permanent(said) if 500 <= code < 600 else Transient(said)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.cafile)
        smtp: smtplib.SMTP
        try:
            if s.security == "tls":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except (smtplib.SMTPException, OSError) as error:
            raise _failure(self._server, error) from None
        try:
            self._greet(smtp, context)
        except DeliveryFailed:
            smtp.close()
            raise
        except smtplib.SMTPServerDisconnected:
            smtp.close()
            raise Transient(f"{self._server} closed the connection as it was being opened") from None
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            raise _failure(self._server, error) from None
        return smtp

    def _greet(self, smtp: smtplib.SMTP, context: ssl.SSLContext) -> None:
        s = self.settings
        smtp.ehlo()
        if s.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise Permanent(f"{self._server} does not offer STARTTLS: set ACCORD_SMTP_SECURITY to tls or none")
            smtp.starttls(context=context)
            smtp.ehlo()
        if s.user:
            try:
                smtp.login(s.user, s.password or "")
            except smtplib.SMTPNotSupportedError:
                raise Permanent(f"{self._server} does not offer a login (AUTH): unset ACCORD_SMTP_USER") from None
            except smtplib.SMTPAuthenticationError as error:
                said = f"{self._server} refused the login of {s.user}: {_reply(error.smtp_code, error.smtp_error)}"
                failure = Permanent(said) if error.smtp_code >= 500 else Transient(said)
                raise failure from None


def _failure(server: str, error: smtplib.SMTPException | OSError) -> DeliveryFailed:
    """An exception of smtplib or the network as a failure, for now or for good."""
    match error:
        case smtplib.SMTPResponseException():
            said = f"{server} answered {_reply(error.smtp_code, error.smtp_error)}"
            return Permanent(said) if 500 <= error.smtp_code < 600 else Transient(said)
        case ssl.SSLCertVerificationError():
            return Permanent(
                f"{server} is not to be trusted: {error.verify_message} (an authority of your own: ACCORD_SMTP_CA_FILE)"
            )
        case ssl.SSLEOFError() | ssl.SSLZeroReturnError():
            return Transient(f"{server} closed the connection during the TLS handshake")
        case ssl.SSLError():
            return Permanent(
                f"{server} could not agree on TLS ({error.reason}): check ACCORD_SMTP_SECURITY and the port"
            )
        case TimeoutError():
            return Transient(f"{server} did not answer in time")
        case ConnectionRefusedError():
            return Transient(f"{server} refused the connection")
    return Transient(f"{server} could not be reached: {error}")


def _reply(code: int, text: bytes | str) -> str:
    """A server's answer on one line: "550 5.1.1 No such user"."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join([str(code), *text.split()])
