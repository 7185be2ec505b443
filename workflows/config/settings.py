"""Accord's settings, read once at the edge: from command-line flags, the
environment (ACCORD_*), a config file (accord.toml in the working folder,
or the one ACCORD_CONFIG names), else their defaults, in that precedence.
`accord config` shows the values in force and where each came from.

Each group of settings is a pydantic-settings model whose fields are named
as the settings are: `tick` is ACCORD_TICK in the environment and `tick` in
the config file. Pydantic reads and bounds the values; a bad one is said in
one sentence that names the setting (BadSetting).
"""

from __future__ import annotations

import base64
import binascii
import getpass
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote, urlencode

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

CONFIG = "accord.toml"
# The settings that name a file or folder: in a config file, read from the file's own folder.
PATHS = frozenset({"db", "rules", "policy", "outbox", "seals", "directory", "users", "smtp_ca_file", "key"})
# A signing key given as itself (ed25519: and base64), not as a file's path.
INLINE_KEY = "ed25519:"
DEFAULT = "default"


class BadSetting(ValueError):
    """A setting whose value Accord cannot take, said in one sentence that
    names it as the environment does (ACCORD_TICK)."""

    def __init__(self, name: str, sentence: str) -> None:
        super().__init__(sentence)
        self.name = name


class ConfigError(ValueError):
    """A config file that cannot be read or names settings Accord does not have."""


class Said:
    """What a number setting must be, as its sentence says it ("a port number")."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


# A number setting is bounded: beyond its bounds, what the scheduler and
# delivery compute with it (a date so many days ahead, a socket's timeout)
# would overflow, or mean nothing (a first retry after six hours, when no
# retry waits longer).
WHOLE, NUMBER = Said("a whole number"), Said("a number")
Days = Annotated[int, Field(ge=0, le=3660), WHOLE]  # up to ten years


def _zone(name: str) -> str:
    # Imported when a zone is named: every command reads the settings.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"ACCORD_TIMEZONE {name!r} is not a time zone; use a name such as Europe/Brussels") from None
    return name


def _hours_and_minutes(text: object) -> object:
    """08:00, or 8:00 as people write it; nothing but hours and minutes."""
    if isinstance(text, str):
        found = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
        if not found or int(found[1]) > 23 or int(found[2]) > 59:
            raise ValueError(f"ACCORD_DIGEST_AT must be a time of day such as 08:00; got {text!r}")
        return time(int(found[1]), int(found[2]))
    return text


def _weekday(text: object) -> object:
    """mon..sun, or the day's name (Friday)."""
    day = str(text).strip().lower()[:3]
    if day not in WEEKDAYS:
        raise ValueError(f"ACCORD_REPORT_DAY must be a weekday (mon..sun); got {text!r}")
    return day


def _security(text: object) -> object:
    value = str(text).strip().lower()
    if value not in PORTS:
        raise ValueError(f"ACCORD_SMTP_SECURITY must be starttls, tls or none; got {text!r}")
    return value


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The port each kind of connection is usually served on (RFC 8314, RFC 6409).
PORTS = {"starttls": 587, "tls": 465, "none": 25}
# However many attempts failed, the next is never more than this far away.
LONGEST_WAIT = timedelta(hours=6)


def _console_url(text: str | None) -> str | None:
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


def _sender(text: str) -> str:
    from email.utils import parseaddr

    _, address = parseaddr(text)
    if "@" not in address.strip("@"):
        raise ValueError(
            f"ACCORD_MAIL_FROM must be an email address such as accord@example.eu "
            f"or 'Accord <accord@example.eu>'; got {text!r}"
        )
    return text


def _signing_secret(text: str | None) -> str | None:
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


def funding_share(text: object) -> Decimal | None:
    """A share such as "0.10", above 0 and at most 1."""
    if text is None:
        return None
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not (value.is_finite() and 0 < value <= 1):
        raise ValueError(f"ACCORD_FUNDING_TARGET must be a share above 0 and at most 1, e.g. 0.10; got {text!r}")
    return value


def _cipher_key(text: str | None) -> str | None:
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


class Group(BaseSettings):
    """A group of settings, each read from ACCORD_<NAME>, else from the config
    file, else its default; `load` gives the flags above them both."""

    model_config = SettingsConfigDict(
        extra="ignore",
        frozen=True,
        allow_inf_nan=False,
        str_strip_whitespace=True,
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise _one_sentence(type(self), error) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, Environment(settings_cls), ConfigFile(settings_cls)


class Environment(PydanticBaseSettingsSource):
    """Each of a group's settings from its variable, ACCORD_ and its name in
    capitals (ACCORD_TICK); a variable set empty is not set. A group is not a
    setting: ACCORD_WEB is nobody's variable."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return os.environ.get(variable_of(field_name)), field_name, False

    def __call__(self) -> dict[str, Any]:
        given = {name: self.get_field_value(field, name)[0] for name, field in self.settings_cls.model_fields.items()}
        return {name: value for name, value in given.items() if name in NAMES and value and value.strip()}


def variable_of(name: str) -> str:
    """A setting's environment variable: ACCORD_ and its name in capitals."""
    return f"ACCORD_{name.upper()}"


def _one_sentence(group: type[Group], error: ValidationError) -> BadSetting:
    """A model's first error as one sentence naming the setting: a check's
    own sentence, else what the setting must be and what was given."""
    [first, *_] = error.errors()
    name = str(first["loc"][0])
    variable = variable_of(name)
    if first["type"] == "value_error":
        return BadSetting(name, str(first["ctx"]["error"]))
    field = group.model_fields[name]
    said = next((item.kind for item in field.metadata if isinstance(item, Said)), None)
    low = next((item.ge for item in field.metadata if hasattr(item, "ge")), None)
    high = next((item.le for item in field.metadata if hasattr(item, "le")), None)
    if said is None or low is None or high is None:
        return BadSetting(name, f"{variable}: {first['msg']}; got {first['input']!r}")
    return BadSetting(name, f"{variable} must be {said} from {low:g} to {high:g}; got {first['input']!r}")


class ConfigFile(InitSettingsSource):
    """The config file's settings (the file ACCORD_CONFIG names, which must
    exist, else accord.toml here if there is one), read as every file
    written by hand is (workflows.base.textfile); the paths it gives are
    read from its own folder, wherever Accord runs."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        values, path = config_file()
        super().__init__(settings_cls, {name: _from_folder(name, value, path) for name, value in values.items()})


def config_file() -> tuple[dict[str, object], str]:
    """The settings in the config file, and its path."""
    named = (os.environ.get("ACCORD_CONFIG") or "").strip()
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


def _from_folder(name: str, value: object, path: str) -> str:
    """A value as the environment would give it: text (`tick = 30` is "30"),
    a path read from the file's folder."""
    text = str(value)
    if name not in PATHS or not text.strip() or "://" in text or text.startswith(INLINE_KEY):
        return text
    return str(Path(path).parent / Path(text).expanduser())


class Schedule(Group):
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

    timezone: Annotated[str, AfterValidator(_zone)] = "Europe/Brussels"
    tick: Annotated[float, Field(ge=0.2, le=86400), NUMBER] = 60.0  # at most a day
    outbox: str = "outbox"
    remind_days: Days = 7
    escalate_after: Annotated[int, Field(ge=1, le=3660), WHOLE] = 7
    digest_at: Annotated[time, BeforeValidator(_hours_and_minutes)] = time(8, 0)
    report_day: Annotated[str, BeforeValidator(_weekday)] = "mon"
    briefing_days: Days = 7
    seals: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)


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


class Delivery(Group):
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
    # None: the port of its security (PORTS).
    smtp_port: Annotated[int | None, Field(ge=1, le=65535), Said("a port number")] = None
    smtp_security: Annotated[Literal["starttls", "tls", "none"], BeforeValidator(_security)] = "starttls"
    smtp_user: str | None = None
    # Not stripped: spaces may be part of a password.
    smtp_password: Annotated[str | None, Field(repr=False), StringConstraints(strip_whitespace=False)] = None
    smtp_ca_file: Annotated[str | None, AfterValidator(_authorities)] = None
    mail_from: Annotated[str, AfterValidator(_sender)] = "accord@localhost"
    webhook_secret: Annotated[str | None, Field(repr=False), AfterValidator(_signing_secret)] = None
    webhook_timeout: Annotated[float, Field(ge=0.1, le=600), NUMBER] = 10.0  # ten minutes
    delivery_attempts: Annotated[int, Field(ge=1, le=100), WHOLE] = 8
    delivery_backoff: Annotated[float, Field(ge=1, le=21600), NUMBER] = 60.0  # six hours
    web_url: Annotated[str | None, AfterValidator(_console_url)] = None

    @property
    def port(self) -> int:
        """The mail server's port: the one given, else the one of its security."""
        return self.smtp_port or PORTS[self.smtp_security]

    @property
    def smtp(self) -> SmtpSettings | None:
        """The mail server's settings, or None when no email is sent."""
        if self.smtp_host is None:
            return None
        return SmtpSettings(
            host=self.smtp_host,
            port=self.port,
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
        seconds = self.delivery_backoff * 2.0 ** min(attempt - 1, 64)
        return timedelta(seconds=min(seconds, LONGEST_WAIT.total_seconds()))

    def task_page(self, task_id: str) -> str:
        """The address of a task's page in the web console, which
        workflows.web routes at /tasks/{id} (ACCORD_WEB_URL must be set)."""
        if self.web_url is None:
            raise ValueError("no web console's address is set (ACCORD_WEB_URL)")
        return f"{self.web_url}/tasks/{quote(task_id, safe='')}"


def _web_secret(secret: str | None) -> str | None:
    if secret is not None and len(secret) < 32:
        raise ValueError("ACCORD_WEB_SECRET must be at least 32 characters: `accord users new-secret` makes one")
    return secret


def _header(name: str | None) -> str | None:
    if name is not None and not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ValueError(f"ACCORD_WEB_USER_HEADER must be a header's name such as X-Remote-User; got {name!r}")
    return name


class Web(Group):
    """The web console (`accord serve`).

    ACCORD_USERS            who may sign in: a file `accord users add` writes (none: nobody signs in)
    ACCORD_WEB_SECRET       the key session cookies are signed with (none: a new one each start,
                            which signs everyone out)
    ACCORD_WEB_USER_HEADER  trust this header, set by a reverse proxy that signs people in
                            (e.g. X-Remote-User), for who is signed in; only behind such a proxy
    """

    users: str | None = None
    web_secret: Annotated[str | None, Field(repr=False), AfterValidator(_web_secret)] = None
    web_user_header: Annotated[str | None, AfterValidator(_header)] = None


class Settings(Group):
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
    and the scheduler's settings (see Schedule), delivery's (see Delivery)
    and the web console's (see Web), each read as its own group.
    """

    db: Annotated[str, BeforeValidator(lambda text: keywords_to_url(str(text).strip()) or text)] = "accord.db"
    read_db: Annotated[str | None, AfterValidator(standby_url)] = None
    actor: str = Field(default_factory=lambda: login_name())
    rules: str | None = None
    policy: str | None = None
    funding_target: Annotated[Decimal | None, BeforeValidator(funding_share)] = None
    cipher_key: Annotated[str | None, AfterValidator(_cipher_key)] = None
    key: Annotated[str | None, Field(repr=False)] = None
    schedule: Schedule = Field(default_factory=Schedule)
    delivery: Delivery = Field(default_factory=Delivery)
    web: Web = Field(default_factory=Web)

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


# Every setting, by its name in a config file (its variable is ACCORD_ and
# the name in capitals), in the order `accord config` shows them.
GROUPS: tuple[type[Group], ...] = (Settings, Schedule, Delivery, Web)
NAMES: dict[str, str] = {
    name: variable_of(name)
    for group in GROUPS
    for name, field in group.model_fields.items()
    if not (isinstance(field.annotation, type) and issubclass(field.annotation, Group))
}


def load(flags: Mapping[str, str | None]) -> tuple[Settings, dict[str, str]]:
    """The settings in force, and where each came from: a flag (`--db`),
    the environment (`ACCORD_DB`), the config file (its path), or the
    default. One precedence, the first given wins: flag, environment,
    config file, default."""
    in_file, path = config_file()
    given: dict[str, Any] = {name: value for name, value in flags.items() if value is not None and str(value).strip()}
    sources: dict[str, str] = {}
    for name, variable in NAMES.items():
        if name in given:
            sources[name] = f"--{name.replace('_', '-')}"
        elif os.environ.get(variable, "").strip():
            sources[name] = variable
        elif str(in_file.get(name, "")).strip():
            sources[name] = path
        else:
            sources[name] = DEFAULT
    try:
        settings = Settings(**given)
    except BadSetting as error:
        # Said of the variable; name where it was set, if not the environment.
        source = sources.get(error.name, DEFAULT)
        if source in (DEFAULT, NAMES.get(error.name)):
            raise
        said = str(error).replace(NAMES[error.name], error.name) if source == path else str(error)
        raise BadSetting(error.name, f"{said} (set by {source})") from None
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
        "smtp_port": delivery.port,
        "smtp_security": delivery.smtp_security,
        "smtp_user": delivery.smtp_user or "(none)",
        "smtp_password": "(set)" if delivery.smtp_password else "(none)",
        "smtp_ca_file": delivery.smtp_ca_file or "(none: the system's authorities)",
        "mail_from": delivery.mail_from,
        "webhook_secret": "(set)" if delivery.webhook_secret else "(none: no webhook is sent)",
        "webhook_timeout": f"{delivery.webhook_timeout:g} s",
        "delivery_attempts": delivery.delivery_attempts,
        "delivery_backoff": f"{delivery.delivery_backoff:g} s",
        "web_url": delivery.web_url or "(none: messages carry no links to the console)",
        "users": settings.web.users or "(none: nobody signs in to the web console)",
        "web_secret": "(set)" if settings.web.web_secret else "(none: a new one each start)",
        "web_user_header": settings.web.web_user_header or "(none)",
    }
    return [{"setting": name, "value": str(values[name]), "from": sources.get(name, DEFAULT)} for name in NAMES]


def _inline(value: object) -> bool:
    return str(value).startswith(INLINE_KEY)


def _key_shown(key: str | None) -> str:
    """Where the signing key comes from, never the key."""
    if key is None:
        return "(none: nothing is signed; a store that enrolls keys refuses writes)"
    return "(set: the key itself)" if _inline(key) else f"(the file {key})"


def _shown(db: str) -> str:
    from workflows.store.persistence import describe_store

    return describe_store(db)
