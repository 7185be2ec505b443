"""Accord's settings, read once at the edge: from command-line flags, the
environment (ACCORD_*), a config file (accord.toml in the working folder,
or the one ACCORD_CONFIG names), else their defaults, in that precedence.
`accord config` shows the values in force and where each came from."""

from __future__ import annotations

import base64
import binascii
import getpass
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Schedule:
    """What the scheduler does, and when.

    ACCORD_TIMEZONE        the zone of business dates and calendar jobs (Europe/Brussels)
    ACCORD_TICK            seconds between ticks (60)
    ACCORD_OUTBOX          where digests, reports and briefings are written (outbox)
    ACCORD_REMIND_DAYS     remind an owner this many days before a task is due (7)
    ACCORD_ESCALATE_AFTER  escalate an overdue task to level 2 after this many days (7)
    ACCORD_DIGEST_AT       the daily digests' time of day, HH:MM (08:00)
    ACCORD_REPORT_DAY      the weekly portfolio report's day, mon..sun, at the digest time (mon)
    ACCORD_BRIEFING_DAYS   issue a meeting's briefing this many days before it (7)
    ACCORD_SEALS           the seals file each day's seal of the record is appended to, at the
                           digest time (none: the seal goes only to the directory's auditors)
    """

    timezone: str = "Europe/Brussels"
    tick: float = 60.0
    outbox: str = "outbox"
    remind_days: int = 7
    escalate_after: int = 7
    digest_at: time = time(8, 0)
    report_day: str = "mon"
    briefing_days: int = 7
    seals: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Schedule:
        def get(name: str) -> str | None:
            value = environ.get(f"ACCORD_{name}", "").strip()
            return value or None

        timezone = get("TIMEZONE") or cls.timezone
        if timezone != cls.timezone:
            # Imported when a zone is named: every command reads the settings.
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"ACCORD_TIMEZONE {timezone!r} is not a time zone; use a name such as Europe/Brussels"
                ) from None
        report_day = (get("REPORT_DAY") or cls.report_day).lower()[:3]
        if report_day not in WEEKDAYS:
            raise ValueError(f"ACCORD_REPORT_DAY must be a weekday (mon..sun); got {get('REPORT_DAY')!r}")
        return cls(
            timezone=timezone,
            tick=_number("TICK", get("TICK"), cls.tick, minimum=0.2),
            outbox=get("OUTBOX") or cls.outbox,
            remind_days=int(_number("REMIND_DAYS", get("REMIND_DAYS"), cls.remind_days, minimum=0, whole=True)),
            escalate_after=int(
                _number("ESCALATE_AFTER", get("ESCALATE_AFTER"), cls.escalate_after, minimum=1, whole=True)
            ),
            digest_at=_time_of_day(get("DIGEST_AT"), cls.digest_at),
            report_day=report_day,
            briefing_days=int(_number("BRIEFING_DAYS", get("BRIEFING_DAYS"), cls.briefing_days, minimum=0, whole=True)),
            seals=get("SEALS"),
        )


# The largest value of each number setting: beyond it, what the scheduler and
# delivery compute with it (a date so many days ahead, a socket's timeout)
# would overflow, or mean nothing (a first retry after six hours, when no
# retry waits longer).
LARGEST = {
    "TICK": 86400,  # a day
    "REMIND_DAYS": 3660,  # ten years
    "ESCALATE_AFTER": 3660,
    "BRIEFING_DAYS": 3660,
    "WEBHOOK_TIMEOUT": 600,  # ten minutes
    "DELIVERY_ATTEMPTS": 100,
    "DELIVERY_BACKOFF": 21600,  # six hours
}


def _number(name: str, text: str | None, default: float, *, minimum: float, whole: bool = False) -> float:
    if text is None:
        return default
    try:
        # int() and float() take digits of every script (١٢); a setting is written in ASCII.
        value = (int(text) if whole else float(text)) if text.isascii() else minimum - 1
    except ValueError:
        value = minimum - 1
    if not (math.isfinite(value) and minimum <= value <= LARGEST[name]):
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"ACCORD_{name} must be {kind} from {minimum:g} to {LARGEST[name]:g}; got {text!r}")
    return value


def _time_of_day(text: str | None, default: time) -> time:
    if text is None:
        return default
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"ACCORD_DIGEST_AT must be a time of day such as 08:00; got {text!r}")
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server (workflows.delivery.email sends through it).
    `cafile` trusts one more certificate authority: a test's, or a company's own."""

    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "accord@localhost"
    timeout: float = 30.0
    cafile: str | None = None


@dataclass(frozen=True)
class WebhookSettings:
    """How webhooks are posted: signed with `secret` (whsec_ and base64, as
    Standard Webhooks has it), each given `timeout` seconds to answer."""

    secret: str | None = field(default=None, repr=False)
    timeout: float = 10.0


SECURITY = ("starttls", "tls", "none")
# The port each kind of connection is usually served on (RFC 8314, RFC 6409).
PORTS = {"starttls": 587, "tls": 465, "none": 25}
# However many attempts failed, the next is never more than this far away.
LONGEST_WAIT = timedelta(hours=6)


@dataclass(frozen=True)
class Delivery:
    """How follow-ups reach people: by email, by webhook, or not at all.

    ACCORD_DIRECTORY          who each owner is and how to reach them (a TOML file)
    ACCORD_SMTP_HOST          the mail server (none: no email is sent)
    ACCORD_SMTP_PORT          its port (587; 465 for tls, 25 for none)
    ACCORD_SMTP_SECURITY      starttls, tls or none (starttls)
    ACCORD_SMTP_USER, ACCORD_SMTP_PASSWORD  the login, if the server asks for one
    ACCORD_SMTP_CA_FILE       certificate authorities (PEM) to trust beside the system's,
                              for a server whose certificate an institution's own authority signed
    ACCORD_MAIL_FROM          the sender of every email (accord@localhost)
    ACCORD_WEBHOOK_SECRET     the key webhooks are signed with (whsec_ and base64)
    ACCORD_WEBHOOK_TIMEOUT    seconds a webhook's receiver is given to answer (10)
    ACCORD_DELIVERY_ATTEMPTS  attempts before a message is set aside as undeliverable (8)
    ACCORD_DELIVERY_BACKOFF   seconds before the first retry, doubling each time up to 6 hours (60)
    ACCORD_WEB_URL            the web console's address as people reach it (https://accord.example.eu):
                              each task a message names links to its page there (none: no links)
    """

    directory: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_ca_file: str | None = None
    mail_from: str = "accord@localhost"
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_timeout: float = 10.0
    attempts: int = 8
    backoff: float = 60.0
    web_url: str | None = None

    @property
    def smtp(self) -> SmtpSettings | None:
        """The mail server's settings, or None when no email is sent."""
        if self.smtp_host is None:
            return None
        return SmtpSettings(
            host=self.smtp_host,
            port=self.smtp_port,
            security=self.smtp_security,
            user=self.smtp_user,
            password=self.smtp_password,
            sender=self.mail_from,
            cafile=self.smtp_ca_file,
        )

    @property
    def webhooks(self) -> WebhookSettings:
        return WebhookSettings(secret=self.webhook_secret, timeout=self.webhook_timeout)

    def retry_after(self, attempt: int) -> timedelta:
        """How long to wait after the `attempt`th failed attempt (1, 2, ...):
        the backoff, doubled for each attempt before, never above 6 hours."""
        if attempt < 1:
            raise ValueError(f"attempts are counted from 1; got {attempt}")
        seconds = self.backoff * 2.0 ** min(attempt - 1, 64)
        return timedelta(seconds=min(seconds, LONGEST_WAIT.total_seconds()))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Delivery:
        def get(name: str) -> str | None:
            value = environ.get(f"ACCORD_{name}", "").strip()
            return value or None

        security = (get("SMTP_SECURITY") or cls.smtp_security).lower()
        if security not in SECURITY:
            raise ValueError(f"ACCORD_SMTP_SECURITY must be starttls, tls or none; got {get('SMTP_SECURITY')!r}")
        return cls(
            directory=get("DIRECTORY"),
            smtp_host=get("SMTP_HOST"),
            smtp_port=_port(get("SMTP_PORT"), PORTS[security]),
            smtp_security=security,  # type: ignore[arg-type]  # checked against SECURITY above
            smtp_user=get("SMTP_USER"),
            smtp_password=environ.get("ACCORD_SMTP_PASSWORD") or None,  # spaces may be part of a password
            smtp_ca_file=_authorities(get("SMTP_CA_FILE")),
            mail_from=_sender(get("MAIL_FROM"), cls.mail_from),
            webhook_secret=webhook_secret(get("WEBHOOK_SECRET")),
            webhook_timeout=_number("WEBHOOK_TIMEOUT", get("WEBHOOK_TIMEOUT"), cls.webhook_timeout, minimum=0.1),
            attempts=int(_number("DELIVERY_ATTEMPTS", get("DELIVERY_ATTEMPTS"), cls.attempts, minimum=1, whole=True)),
            backoff=_number("DELIVERY_BACKOFF", get("DELIVERY_BACKOFF"), cls.backoff, minimum=1),
            web_url=web_url(get("WEB_URL")),
        )

    def task_page(self, task_id: str) -> str:
        """The address of a task's page in the web console, which
        workflows.web routes at /tasks/{id} (ACCORD_WEB_URL must be set)."""
        if self.web_url is None:
            raise ValueError("no web console's address is set (ACCORD_WEB_URL)")
        return f"{self.web_url}/tasks/{quote(task_id, safe='')}"


def web_url(text: str | None) -> str | None:
    """The console's http:// or https:// address, without a trailing slash;
    percent-encoded where it must be, so that it is one token in a message's
    text (an autolink, a line of its own) and in HTML."""
    if text is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    # No query, fragment or login: a task's path follows it, and it is shown in every message.
    extra = parts.query or parts.fragment or "@" in parts.netloc
    if parts.scheme not in ("http", "https") or not parts.hostname or extra:
        raise ValueError(
            f"ACCORD_WEB_URL must be the web console's http:// or https:// address, such as "
            f"https://accord.example.eu; got {text!r}"
        )
    return quote(text.rstrip("/"), safe=":/@!$&'()*+,;=%~-._")


def _port(text: str | None, default: int) -> int:
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 65535):
        raise ValueError(f"ACCORD_SMTP_PORT must be a port number from 1 to 65535; got {text!r}")
    return int(text)


def _authorities(path: str | None) -> str | None:
    """A file of certificate authorities in PEM, checked now: one that cannot
    be read would otherwise fail every email, one by one, as a dead letter."""
    if path is None:
        return None
    import ssl

    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ValueError(
            f"ACCORD_SMTP_CA_FILE must be a file of certificate authorities in PEM; {path!r} cannot be read "
            f"as one: {reason}"
        ) from None
    return path


def _sender(text: str | None, default: str) -> str:
    if text is None:
        return default
    from email.utils import parseaddr

    _, address = parseaddr(text)
    if "@" not in address.strip("@"):
        raise ValueError(
            f"ACCORD_MAIL_FROM must be an email address such as accord@example.eu "
            f"or 'Accord <accord@example.eu>'; got {text!r}"
        )
    return text


def webhook_secret(text: str | None) -> str | None:
    """A Standard Webhooks secret: whsec_ and the base64 of 24 to 64 bytes."""
    if text is None:
        return None
    try:
        size = len(base64.b64decode(text.removeprefix("whsec_"), validate=True)) if text.startswith("whsec_") else 0
    except (binascii.Error, ValueError):
        size = 0
    if not 24 <= size <= 64:
        raise ValueError(
            "ACCORD_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 random bytes "
            "(Standard Webhooks), e.g. one that `accord directory new-secret` prints"
        )
    return text


@dataclass(frozen=True)
class Web:
    """The web console (`accord serve`).

    ACCORD_USERS            who may sign in: a file `accord users add` writes (none: nobody signs in)
    ACCORD_WEB_SECRET       the key session cookies are signed with (none: a new one each start,
                            which signs everyone out)
    ACCORD_WEB_USER_HEADER  trust this header, set by a reverse proxy that signs people in
                            (e.g. X-Remote-User), for who is signed in; only behind such a proxy
    """

    users: str | None = None
    secret: str | None = field(default=None, repr=False)
    user_header: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Web:
        secret = environ.get("ACCORD_WEB_SECRET") or None
        if secret is not None and len(secret) < 32:
            raise ValueError("ACCORD_WEB_SECRET must be at least 32 characters: `accord users new-secret` makes one")
        header = (environ.get("ACCORD_WEB_USER_HEADER") or "").strip() or None
        if header is not None and not re.fullmatch(r"[A-Za-z0-9-]+", header):
            raise ValueError(f"ACCORD_WEB_USER_HEADER must be a header's name such as X-Remote-User; got {header!r}")
        return cls(users=environ.get("ACCORD_USERS") or None, secret=secret, user_header=header)


@dataclass(frozen=True)
class Settings:
    """Where the events live and who is recording them.

    ACCORD_DB     a SQLite file (default accord.db in the working directory)
                  or a postgresql://user:password@host:port/database URL
                  (several host:port pairs: a primary and its standbys)
    ACCORD_READ_DB  a postgresql:// URL of a hot standby of that store: the
                  commands that only read, and the web console's pages,
                  read it, as it stands
    ACCORD_ACTOR  who records events (default: the login name)
    ACCORD_RULES  a workflow rule file (default: the rules shipped with Accord)
    ACCORD_POLICY a policy file: who may record which event types (default: anyone, anything)
    ACCORD_FUNDING_TARGET  a share such as 0.15, replacing the share recorded with
                  each instrument's envelope when the funding report sets targets
    ACCORD_CIPHER_KEY  a key (`accord init --new-key`): events are compressed
                  and encrypted at rest (AES-GCM)
    ACCORD_KEY    the writer's private signing key: a file only its owner may
                  read (`accord keys new` writes one), or `ed25519:` and the
                  base64 of its 32 bytes; a store that enrolls keys refuses
                  writes without one (docs/keys.md)
    and the scheduler's settings (see Schedule) and delivery's (see Delivery).
    """

    db: str = "accord.db"
    read_db: str | None = None
    actor: str = ""
    rules: str | None = None
    policy: str | None = None
    funding_target: Decimal | None = None
    cipher_key: str | None = None
    key: str | None = field(default=None, repr=False)
    schedule: Schedule = field(default_factory=Schedule)
    delivery: Delivery = field(default_factory=Delivery)
    web: Web = field(default_factory=Web)

    @property
    def postgres(self) -> bool:
        """Whether the store is a PostgreSQL database (else a SQLite file)."""
        from workflows.store.persistence import is_postgres

        return is_postgres(self.db)

    @property
    def store(self) -> str:
        """The store's address fit to show a person (no password)."""
        from workflows.store.persistence import describe_store

        return describe_store(self.db)

    @property
    def standby(self) -> str | None:
        """The hot standby's address fit to show a person (ACCORD_READ_DB), if one is named."""
        from workflows.store.persistence import describe_store

        return describe_store(self.read_db) if self.read_db else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            db=keywords_to_url(environ.get("ACCORD_DB") or "") or environ.get("ACCORD_DB") or cls.db,
            read_db=standby_url(environ.get("ACCORD_READ_DB") or None),
            actor=environ.get("ACCORD_ACTOR") or login_name(),
            rules=environ.get("ACCORD_RULES") or None,
            policy=environ.get("ACCORD_POLICY") or None,
            funding_target=funding_share(environ.get("ACCORD_FUNDING_TARGET") or None),
            cipher_key=cipher_key(environ.get("ACCORD_CIPHER_KEY") or None),
            key=(environ.get("ACCORD_KEY") or "").strip() or None,
            schedule=Schedule.from_env(environ),
            delivery=Delivery.from_env(environ),
            web=Web.from_env(environ),
        )


# Every setting: its name in a config file, and its environment variable.
NAMES: dict[str, str] = {
    name: f"ACCORD_{name.upper()}"
    for name in (
        "db",
        "read_db",
        "actor",
        "rules",
        "policy",
        "funding_target",
        "cipher_key",
        "key",
        "timezone",
        "tick",
        "outbox",
        "remind_days",
        "escalate_after",
        "digest_at",
        "report_day",
        "briefing_days",
        "seals",
        "directory",
        "smtp_host",
        "smtp_port",
        "smtp_security",
        "smtp_user",
        "smtp_password",
        "smtp_ca_file",
        "mail_from",
        "webhook_secret",
        "webhook_timeout",
        "delivery_attempts",
        "delivery_backoff",
        "web_url",
        "users",
        "web_secret",
        "web_user_header",
    )
}
CONFIG = "accord.toml"
# The settings that name a file or folder.
PATHS = frozenset({"db", "rules", "policy", "outbox", "seals", "directory", "users", "smtp_ca_file", "key"})
# A signing key given as itself (ed25519: and base64), not as a file's path.
INLINE_KEY = "ed25519:"
DEFAULT = "default"


class ConfigError(ValueError):
    """A config file that cannot be read or names settings Accord does not have."""


def load(flags: Mapping[str, str | None], environ: Mapping[str, str]) -> tuple[Settings, dict[str, str]]:
    """The settings in force, and where each came from: a flag (`--db`),
    the environment (`ACCORD_DB`), the config file (its path), or the
    default. One precedence, the first given wins: flag, environment,
    config file, default."""
    in_file, path = _config_file(environ)
    given: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, variable in NAMES.items():
        for source, value in (
            (f"--{name.replace('_', '-')}", flags.get(name)),
            (variable, environ.get(variable)),
            (path, in_file.get(name)),
        ):
            if value is not None and str(value).strip() != "":
                if source == path and name in PATHS and "://" not in str(value) and not _inline(value):
                    # A file's paths are read from its own folder, wherever Accord runs.
                    value = Path(path).parent / Path(str(value)).expanduser()
                given[variable], sources[name] = str(value), source
                break
        else:
            sources[name] = DEFAULT
    try:
        settings = Settings.from_env(given)
    except ValueError as error:
        # Said of the variable; name where it was set, if not the environment.
        named = next((name for name, variable in NAMES.items() if variable in str(error)), None)
        if named is None or sources[named] == NAMES[named]:
            raise
        from_file = sources[named] not in (NAMES[named], f"--{named.replace('_', '-')}")
        said = str(error).replace(NAMES[named], named) if from_file else str(error)
        raise ValueError(f"{said} (set by {sources[named]})") from None
    if sources["actor"] == DEFAULT:
        sources["actor"] = "default (your login name)"
    return settings, sources


def in_force(settings: Settings, sources: Mapping[str, str]) -> list[dict[str, str]]:
    """Each setting's value in force, as a person may see it (no password,
    no key), and where it came from."""
    schedule, delivery = settings.schedule, settings.delivery
    values: dict[str, object] = {
        "db": settings.store,
        "read_db": _shown(settings.read_db) if settings.read_db else "(none: every command reads ACCORD_DB)",
        "actor": settings.actor,
        "rules": settings.rules or "(the rules shipped with Accord)",
        "policy": settings.policy or "(none: anyone may record anything)",
        "funding_target": settings.funding_target if settings.funding_target is not None else "(each envelope's share)",
        "cipher_key": "(set: events are encrypted)" if settings.cipher_key else "(none: events are not encrypted)",
        "key": _key_shown(settings.key),
        "timezone": schedule.timezone,
        "tick": f"{schedule.tick:g} s",
        "outbox": schedule.outbox,
        "remind_days": schedule.remind_days,
        "escalate_after": schedule.escalate_after,
        "digest_at": schedule.digest_at.strftime("%H:%M"),
        "report_day": schedule.report_day,
        "briefing_days": schedule.briefing_days,
        "seals": schedule.seals or "(none: seals go only to the directory's auditors)",
        "directory": delivery.directory or "(none: no one is reached)",
        "smtp_host": delivery.smtp_host or "(none: no email is sent)",
        "smtp_port": delivery.smtp_port,
        "smtp_security": delivery.smtp_security,
        "smtp_user": delivery.smtp_user or "(none)",
        "smtp_password": "(set)" if delivery.smtp_password else "(none)",
        "smtp_ca_file": delivery.smtp_ca_file or "(none: the system's authorities)",
        "mail_from": delivery.mail_from,
        "webhook_secret": "(set)" if delivery.webhook_secret else "(none: no webhook is sent)",
        "webhook_timeout": f"{delivery.webhook_timeout:g} s",
        "delivery_attempts": delivery.attempts,
        "delivery_backoff": f"{delivery.backoff:g} s",
        "web_url": delivery.web_url or "(none: messages carry no links to the console)",
        "users": settings.web.users or "(none: nobody signs in to the web console)",
        "web_secret": "(set)" if settings.web.secret else "(none: a new one each start)",
        "web_user_header": settings.web.user_header or "(none)",
    }
    return [{"setting": name, "value": str(values[name]), "from": sources.get(name, DEFAULT)} for name in NAMES]


def _inline(value: object) -> bool:
    return str(value).startswith(INLINE_KEY)


def _key_shown(key: str | None) -> str:
    """Where the signing key comes from, never the key."""
    if key is None:
        return "(none: nothing is signed; a store that enrolls keys refuses writes)"
    return "(set: the key itself)" if _inline(key) else f"(the file {key})"


def _config_file(environ: Mapping[str, str]) -> tuple[dict[str, object], str]:
    """The settings in the config file, and its path: the file ACCORD_CONFIG
    names (which must exist), else accord.toml here if there is one."""
    named = (environ.get("ACCORD_CONFIG") or "").strip()
    path = Path(named or CONFIG).expanduser()
    if not path.is_file():
        if named:
            raise ConfigError(f"ACCORD_CONFIG names {named!r}, which is not a file")
        return {}, str(path)
    from workflows.base.textfile import NotText, read_toml

    try:
        values = read_toml(path)
    except NotText as error:
        raise ConfigError(f"{path}: {error}") from None
    unknown = sorted(set(values) - set(NAMES))
    if unknown:
        raise ConfigError(
            f"{path}: {', '.join(map(repr, unknown))} is not a setting; the settings are {', '.join(NAMES)}"
        )
    nested = [name for name, value in values.items() if isinstance(value, dict | list)]
    if nested:
        raise ConfigError(f"{path}: {', '.join(nested)} must be a single value, not a table or a list")
    return values, str(path)


def standby_url(text: str | None) -> str | None:
    """A hot standby's postgresql:// URL (ACCORD_READ_DB), or libpq's keyword form of it."""
    if text is None:
        return None
    text = keywords_to_url(text.strip(), "ACCORD_READ_DB") or text.strip()
    if not text.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"ACCORD_READ_DB must be the postgresql:// URL of a hot standby of the store; got {text!r}")
    return text


# libpq's keyword/value connection string: `host=db1,db2 port=5432 dbname=accord ...`.
KEYWORD = re.compile(r"\s*([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S*))")


def keywords_to_url(text: str, variable: str = "ACCORD_DB") -> str | None:
    """libpq's keyword/value form of a PostgreSQL address (as `psql` takes
    it: host=a,b port=5432,5433 dbname=accord user=accord
    target_session_attrs=read-write) as the postgresql:// URL the rest of
    Accord reads; None when `text` is not in that form (a SQLite path, a URL)."""
    if "=" not in text or text.startswith(("postgresql://", "postgres://")) or not KEYWORD.match(text):
        return None
    values: dict[str, str] = {}
    position = 0
    while position < len(text):
        found = KEYWORD.match(text, position)
        if found is None:
            if text[position:].strip():
                raise ValueError(f"{variable}: cannot read {text[position:].strip()!r} as keyword=value")
            break
        quoted, plain = found[2], found[3]
        values[found[1]] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else plain
        position = found.end()
    if not {"host", "port", "dbname", "user"} & set(values):
        return None  # a file whose name holds "=", not an address
    hosts = values.pop("host", "localhost").split(",")
    ports = values.pop("port", "5432").split(",")
    if len(ports) == 1:
        ports *= len(hosts)
    if len(ports) != len(hosts):
        raise ValueError(f"{variable}: {len(hosts)} host(s) but {len(ports)} port(s): give one port, or one a host")
    user, password = values.pop("user", "postgres"), values.pop("password", "")
    database = values.pop("dbname", user)
    login = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    where = ",".join(
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}" for host, port in zip(hosts, ports, strict=True)
    )
    query = "?" + urlencode(values) if values else ""
    return f"postgresql://{login}@{where}/{quote(database, safe='')}{query}"


def _shown(db: str) -> str:
    from workflows.store.persistence import describe_store

    return describe_store(db)


def funding_share(text: str | None) -> Decimal | None:
    """A share such as "0.10", above 0 and at most 1."""
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not (value.is_finite() and 0 < value <= 1):
        raise ValueError(f"ACCORD_FUNDING_TARGET must be a share above 0 and at most 1, e.g. 0.10; got {text!r}")
    return value


def cipher_key(text: str | None) -> str | None:
    """A base64 AES key of 16, 24 or 32 bytes, as `accord init --new-key` prints."""
    if text is None:
        return None
    try:
        size = len(base64.b64decode(text.strip(), validate=True))
    except (binascii.Error, ValueError):
        size = 0
    if size not in (16, 24, 32):
        raise ValueError("ACCORD_CIPHER_KEY is not a key: use one that `accord init --new-key` prints")
    return text.strip()


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
