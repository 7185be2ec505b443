"""A PostgreSQL store's address: a postgresql:// URL, with one host or
several (libpq's multi-host form, a primary and its standbys), read into
what libpq is given and what a person is shown (never the password).

    postgresql://accord:secret@db1:5432,db2:5432/accord?target_session_attrs=read-write

With several hosts, a writer must reach the one that takes writes: libpq
tries each in turn and keeps the first whose session is read-write, so
after a failover a reconnecting writer finds the promoted standby. That is
the default here when several hosts are named and the URL says nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

SCHEMES = ("postgresql://", "postgres://")
DEFAULT_PORT = 5432
# What libpq may be asked for a session: the ones its documentation lists.
SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")
# A writer's default where several hosts are named: the one that takes writes.
WRITABLE = "read-write"


class AddressError(ValueError):
    """A postgresql:// URL that names no store Accord can reach."""


@dataclass(frozen=True)
class Address:
    """Where a PostgreSQL store is and who logs in to it."""

    hosts: tuple[tuple[str, int], ...]
    database: str
    user: str = "postgres"
    password: str = field(default="", repr=False)
    query: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """The hosts as libpq takes them: comma-separated, in order."""
        return ",".join(host for host, _ in self.hosts)

    @property
    def port(self) -> str:
        """The ports as libpq takes them: one a host, comma-separated."""
        return ",".join(str(port) for _, port in self.hosts)

    @property
    def target_session_attrs(self) -> str | None:
        """Which server of several libpq keeps: as the URL says, else the
        writable one where several are named; None (any) for one host."""
        given = self.query.get("target_session_attrs")
        if given is not None:
            return given
        return WRITABLE if len(self.hosts) > 1 else None

    def shown(self) -> str:
        """The address fit to show a person: no password, no options."""
        hosts = ",".join(f"{_bracketed(host)}:{port}" for host, port in self.hosts)
        return f"postgresql://{self.user}@{hosts}/{self.database}"

    def connection(self, connect_timeout: str | None = None) -> dict[str, str]:
        """psycopg.connect's keyword arguments for a connection of our own."""
        kwargs = {"dbname": self.database, "host": self.host, "port": self.port, "user": self.user}
        if self.password:
            kwargs["password"] = self.password
        if self.target_session_attrs:
            kwargs["target_session_attrs"] = self.target_session_attrs
        timeout = connect_timeout or self.query.get("connect_timeout")
        if timeout:
            kwargs["connect_timeout"] = timeout
        return kwargs


def parse(url: str) -> Address:
    """Read a postgresql:// URL with one host or several (host:port,host:port);
    raise AddressError, naming what is wrong, if it cannot be used."""
    if not url.startswith(SCHEMES):
        raise AddressError(f"{url!r} is not a postgresql:// URL")
    parts = urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    hosts = tuple(_host_and_port(item) for item in hostlist.split(",")) if hostlist else (("localhost", DEFAULT_PORT),)
    attrs = query.get("target_session_attrs")
    if attrs is not None and attrs not in SESSION_ATTRS:
        raise AddressError(f"target_session_attrs must be one of {', '.join(SESSION_ATTRS)}; got {attrs!r}")
    return Address(
        hosts=hosts,
        database=unquote(parts.path.lstrip("/")),
        user=unquote(user) or "postgres",
        password=unquote(password),
        query=query,
    )


def _host_and_port(item: str) -> tuple[str, int]:
    """One `host`, `host:port`, `[v6]` or `[v6]:port` of a URL's host list."""
    if item.startswith("["):
        host, _, rest = item[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, _, port = item.partition(":")
    if not port:
        return unquote(host) or "localhost", DEFAULT_PORT
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise AddressError(f"{port!r} is not a port number (in {item!r})")
    return unquote(host) or "localhost", int(port)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
