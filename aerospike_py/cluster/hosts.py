"""Seed hosts as a ClientConfig spells them."""

from __future__ import annotations

from typing import Any, NamedTuple

from aerospike_py.exception import InvalidArgError

DEFAULT_PORT = 3000


class Host(NamedTuple):
    """An address to reach a node at; ``tls_name`` names its certificate."""

    name: str
    port: int
    tls_name: str | None = None

    def __str__(self) -> str:
        host = f"[{self.name}]" if ":" in self.name else self.name
        return f"{host}:{self.port}"


def _port(value: Any, entry: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise InvalidArgError(
            f"host entry {entry!r}: port must be 1..65535, got {value!r}"
        )
    return value


def parse_host_string(text: str) -> Host:
    """Parse ``host``, ``host:port``, ``host:tls-name:port`` or ``[v6]:port``."""
    text = text.strip()
    if not text:
        raise InvalidArgError("empty host string")
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise InvalidArgError(f"host {text!r}: unterminated [ipv6] address")
        name, rest = text[1:end], text[end + 1 :]
        parts = rest.lstrip(":").split(":") if rest else []
    else:
        name, *parts = text.split(":")
        if not name:
            raise InvalidArgError(
                f"host {text!r} has no address; an IPv6 address goes in "
                "brackets: '[::1]:3000'"
            )
    if not parts:
        return Host(name, DEFAULT_PORT)
    if len(parts) == 1:
        return Host(name, _port(parts[0], text))
    if len(parts) == 2:
        return Host(name, _port(parts[1], text), parts[0] or None)
    raise InvalidArgError(f"host {text!r} is not host[:tls-name]:port")


def parse_hosts(hosts: Any) -> list[Host]:
    """Check ClientConfig['hosts'] and return the seed hosts."""
    if hosts is None:
        raise InvalidArgError("ClientConfig needs 'hosts', e.g. [('127.0.0.1', 3000)]")
    if isinstance(hosts, str) or (
        isinstance(hosts, tuple) and hosts and isinstance(hosts[0], str)
    ):
        hosts = [hosts]  # one seed: "h:p" or ("h", p)
    elif isinstance(hosts, tuple):
        hosts = list(hosts)  # a tuple of seeds
    if not isinstance(hosts, list):
        raise InvalidArgError(
            f"ClientConfig['hosts'] must be a list of (host, port) tuples, "
            f"not {type(hosts).__name__}"
        )
    if not hosts:
        raise InvalidArgError("ClientConfig['hosts'] is empty; give at least one seed")
    result: list[Host] = []
    for entry in hosts:
        if isinstance(entry, str):
            result.extend(parse_host_string(item) for item in entry.split(",") if item)
        elif isinstance(entry, (tuple, list)) and 1 <= len(entry) <= 3:
            name = entry[0]
            if not isinstance(name, str):
                raise InvalidArgError(f"host entry {entry!r}: address must be a str")
            if not name:
                raise InvalidArgError(f"host entry {entry!r}: address is empty")
            port = _port(entry[1], entry) if len(entry) > 1 else DEFAULT_PORT
            tls_name = entry[2] if len(entry) > 2 else None
            result.append(Host(name, port, tls_name))
        else:
            raise InvalidArgError(
                f"host entry {entry!r} must be (host, port), (host, port, tls_name) "
                "or 'host:port'"
            )
    for host in result:
        _check_name(host.name)
    return result


def _check_name(name: str) -> None:
    """A name the resolver can take: IDNA-encodable, no spaces or NULs."""
    try:
        name.encode("idna")
    except UnicodeError:
        raise InvalidArgError(f"host {name!r} is not a valid host name") from None
    if not name or any(char.isspace() or char == "\0" for char in name):
        raise InvalidArgError(f"host {name!r} is not a valid host name")
