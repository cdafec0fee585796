"""Read the AEROSPIKE, CACHES and AEROSPIKE_SESSIONS settings.

Every function raises ImproperlyConfigured with a message that names the
setting and the fix; the system checks call the same functions, so a
project that passes ``manage.py check`` cannot fail here later.

    AEROSPIKE = {"default": {"hosts": ["127.0.0.1:3000"]}}
    CACHES = {"default": {
        "BACKEND": "django_aerospike.cache.AerospikeCache",
        "LOCATION": "default",    # an AEROSPIKE alias, or "host:port,..."
        "OPTIONS": {"namespace": "test", "set": "django_cache"},
    }}
    AEROSPIKE_SESSIONS = {"alias": "default", "namespace": "test",
                          "set": "django_sessions"}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from aerospike_py._config import parse_config
from aerospike_py.cache import SERIALIZERS
from aerospike_py.exception import InvalidArgError

DEFAULT_ALIAS = "default"
MAX_NAMESPACE_BYTES = 31
MAX_SET_BYTES = 63

CACHE_DEFAULTS: dict[str, Any] = {
    "namespace": "test",
    "set": "django_cache",
    "client": {},
    "serializer": "pickle",
    "compress_min_length": 0,
    "ignore_exceptions": False,
}
SESSION_DEFAULTS: dict[str, Any] = {
    "alias": DEFAULT_ALIAS,
    "namespace": "test",
    "set": "django_sessions",
}
# Keys people put in OPTIONS by mistake (jazzband/django-redis#56).
TOP_LEVEL_KEYS = {"TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION", "LOCATION"}
HOST_PORT = re.compile(r"^\s*\S+:\d+\s*$")


@dataclass(frozen=True)
class CacheSettings:
    """Where one CACHES alias keeps its records, and how."""

    client: dict[str, Any] = field(repr=False)
    namespace: str
    set_name: str
    serializer: str
    compress_min_length: int
    ignore_exceptions: bool


@dataclass(frozen=True)
class SessionSettings:
    """Where the session store keeps its records."""

    client: dict[str, Any] = field(repr=False)
    alias: str
    namespace: str
    set_name: str


def aerospike_setting() -> Mapping[str, Mapping[str, Any]]:
    """Return ``settings.AEROSPIKE``, checked to map aliases to dicts."""
    value = getattr(settings, "AEROSPIKE", {})
    if not isinstance(value, Mapping) or not all(
        isinstance(alias, str) and isinstance(config, Mapping)
        for alias, config in value.items()
    ):
        raise ImproperlyConfigured(
            "AEROSPIKE must map aliases to ClientConfig dicts, e.g. "
            "AEROSPIKE = {'default': {'hosts': ['127.0.0.1:3000']}}"
        )
    return value


def client_config(alias: str = DEFAULT_ALIAS) -> dict[str, Any]:
    """Return the checked ClientConfig of ``AEROSPIKE[alias]``."""
    configs = aerospike_setting()
    if alias not in configs:
        known = ", ".join(sorted(configs)) or "none"
        raise ImproperlyConfigured(
            f"AEROSPIKE has no alias {alias!r} (configured: {known}); add "
            f"AEROSPIKE[{alias!r}] = {{'hosts': ['127.0.0.1:3000']}}"
        )
    return checked_config(dict(configs[alias]), f"AEROSPIKE[{alias!r}]")


def checked_config(config: dict[str, Any], where: str) -> dict[str, Any]:
    """Return ``config`` once the client accepts it."""
    try:
        parse_config(config)
    except InvalidArgError as exc:
        raise ImproperlyConfigured(f"{where}: {exc}") from exc
    return config


def cache_settings(
    where: str, location: str | Sequence[str], options: Mapping[str, Any]
) -> CacheSettings:
    """Return the settings of one CACHES entry (``where`` names it)."""
    unknown = set(options) - set(CACHE_DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(_unknown_options(where, unknown))
    merged = {**CACHE_DEFAULTS, **options}
    overrides = merged["client"]
    if not isinstance(overrides, Mapping):
        raise ImproperlyConfigured(
            f"{where}: OPTIONS['client'] must be a dict of ClientConfig keys"
        )
    config = {**_location_config(where, location), **overrides}
    return CacheSettings(
        client=checked_config(config, where),
        namespace=_name(
            merged["namespace"], f"{where}: namespace", MAX_NAMESPACE_BYTES
        ),
        set_name=_name(merged["set"], f"{where}: set", MAX_SET_BYTES),
        serializer=_serializer(merged["serializer"], where),
        compress_min_length=_length(merged["compress_min_length"], where),
        ignore_exceptions=_flag(merged["ignore_exceptions"], where),
    )


def session_settings() -> SessionSettings:
    """Return the checked ``AEROSPIKE_SESSIONS`` setting, with defaults."""
    value = getattr(settings, "AEROSPIKE_SESSIONS", {})
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(
            "AEROSPIKE_SESSIONS must be a dict with the keys "
            f"{', '.join(SESSION_DEFAULTS)}"
        )
    unknown = set(value) - set(SESSION_DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(
            f"AEROSPIKE_SESSIONS has unknown key(s) {sorted(unknown)}; "
            f"known: {', '.join(SESSION_DEFAULTS)}"
        )
    merged = {**SESSION_DEFAULTS, **value}
    where = "AEROSPIKE_SESSIONS"
    return SessionSettings(
        client=client_config(merged["alias"]),
        alias=merged["alias"],
        namespace=_name(
            merged["namespace"], f"{where}: namespace", MAX_NAMESPACE_BYTES
        ),
        set_name=_name(merged["set"], f"{where}: set", MAX_SET_BYTES),
    )


def _location_config(where: str, location: str | Sequence[str]) -> dict[str, Any]:
    """Turn LOCATION (an AEROSPIKE alias or "host:port" items) to a config."""
    items = _location_items(location)
    if len(items) == 1 and not HOST_PORT.match(items[0]):
        alias = items[0]
        if alias not in aerospike_setting():
            raise ImproperlyConfigured(
                f"{where}: LOCATION {alias!r} is neither an alias of "
                f"AEROSPIKE (configured: {', '.join(aerospike_setting()) or 'none'}) "
                "nor 'host:port' (several separated by commas)"
            )
        return dict(aerospike_setting()[alias])
    bad = [item for item in items if not HOST_PORT.match(item)]
    if not items or bad:
        raise ImproperlyConfigured(
            f"{where}: LOCATION must be an AEROSPIKE alias or 'host:port' "
            f"items separated by commas; got {location!r}"
        )
    return {"hosts": [item.strip() for item in items]}


def _location_items(location: str | Sequence[str]) -> list[str]:
    if isinstance(location, str):
        return [item for item in re.split("[;,]", location) if item.strip()]
    if isinstance(location, Sequence) and all(isinstance(i, str) for i in location):
        return list(location)
    return []


def _unknown_options(where: str, unknown: set[str]) -> str:
    message = (
        f"{where}: OPTIONS has unknown key(s) {sorted(unknown)}; "
        f"known: {', '.join(CACHE_DEFAULTS)}"
    )
    misplaced = sorted(unknown & TOP_LEVEL_KEYS)
    if misplaced:
        message += f". {', '.join(misplaced)} belong(s) beside OPTIONS, not inside"
    return message


def _name(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value:
        raise ImproperlyConfigured(f"{what} must be a non-empty str, not {value!r}")
    size = len(value.encode())
    if size > limit:
        raise ImproperlyConfigured(
            f"{what} {value!r} is {size} bytes; Aerospike allows {limit}"
        )
    return value


def _serializer(value: Any, where: str) -> str:
    if value not in SERIALIZERS:
        raise ImproperlyConfigured(
            f"{where}: serializer {value!r} is unknown; choose one of "
            f"{', '.join(sorted(SERIALIZERS))}"
        )
    return str(value)


def _length(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImproperlyConfigured(
            f"{where}: compress_min_length must be an int >= 0 (0 = never "
            f"compress), not {value!r}"
        )
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ImproperlyConfigured(
            f"{where}: ignore_exceptions must be True or False, not {value!r}"
        )
    return value
