"""Read and check the ``AEROSPIKE*`` keys of a Flask app's config.

Every check runs when the app is set up (``init_app``, the cache factory),
so a typo fails at start-up with the key's name, not on the first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aerospike_py._config import parse_config
from aerospike_py.exception import InvalidArgError

CONFIG_KEY = "AEROSPIKE"
NAMESPACE_KEY = "AEROSPIKE_NAMESPACE"
DEFAULT_NAMESPACE = "test"

# Aerospike's limits on names (bytes of UTF-8).
MAX_NAMESPACE_BYTES = 31
MAX_SET_BYTES = 63

EXAMPLE = "{'hosts': [('127.0.0.1', 3000)]}"


class ConfigError(RuntimeError):
    """A Flask config key for Aerospike is missing or malformed."""


def client_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return a checked copy of the ClientConfig in ``config['AEROSPIKE']``."""
    if CONFIG_KEY not in config:
        raise ConfigError(
            f"app.config[{CONFIG_KEY!r}] is not set; give it a ClientConfig dict, "
            f"for example {EXAMPLE}"
        )
    value = config[CONFIG_KEY]
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"app.config[{CONFIG_KEY!r}] must be a ClientConfig dict such as "
            f"{EXAMPLE}, not {type(value).__name__}"
        )
    try:
        parse_config(value)
    except InvalidArgError as exc:
        raise ConfigError(f"app.config[{CONFIG_KEY!r}] is invalid: {exc}") from exc
    return dict(value)


def namespace_name(value: Any, key: str) -> str:
    """Check a namespace name read from config ``key``."""
    return _name(value, key, "namespace", MAX_NAMESPACE_BYTES)


def set_name(value: Any, key: str) -> str:
    """Check a set name read from config ``key``."""
    return _name(value, key, "set", MAX_SET_BYTES)


def default_namespace(config: Mapping[str, Any]) -> str:
    """The namespace of ``AEROSPIKE_NAMESPACE`` (``test`` when unset)."""
    return namespace_name(config.get(NAMESPACE_KEY, DEFAULT_NAMESPACE), NAMESPACE_KEY)


def flag(config: Mapping[str, Any], key: str, default: bool) -> bool:
    """Read a True/False setting (a string such as "false" is refused)."""
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be True or False, not {value!r}")
    return value


def _name(value: Any, key: str, kind: str, limit: int) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key} must be a non-empty {kind} name, not {value!r}")
    size = len(value.encode())
    if size > limit:
        raise ConfigError(
            f"{key} is {value!r}, {size} bytes; Aerospike allows {limit} "
            f"for a {kind} name"
        )
    return value
