"""Settings: one ClientConfig plus the choices of the FastAPI integration.

Every entry point (``lifespan``, ``SessionMiddleware(config=...)`` and
``python -m fastapi_aerospike``) takes the same thing: an
:class:`AerospikeSettings`, a plain ClientConfig dict, or any object with a
``client_config()`` method (a pydantic-settings class of your own, or an
``EmbeddedServer``). Everything is checked when the settings are built, so
a typo fails at import time, not on the first request.

Cache TTLs here are Aerospike-plain: seconds > 0, or None for "never
expires". The ``cached`` decorator maps its own meanings onto them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aerospike_py._config import parse_config

# With no configured deadline, a client may still ask for one by header,
# but not for more than this.
MAX_HEADER_TIMEOUT_MS = 60_000


@runtime_checkable
class ProvidesClientConfig(Protocol):
    """Anything with a ``client_config()`` method returning a ClientConfig."""

    def client_config(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, kw_only=True)
class AerospikeSettings:
    """What the integration needs to know; ``client`` is a ClientConfig.

    ``namespace`` and ``set_name`` are the defaults of the request-scoped
    client. ``request_timeout_ms`` bounds every Aerospike call of a request
    (all calls together), never lengthening a call's own timeout; a client
    can shorten it with the ``request_timeout_header`` header
    (milliseconds), and without a configured deadline ask for one of up
    to 60 s. ``cache_set`` holds
    cached responses, ``cache_ttl`` is their default lifetime, and
    ``session_set`` holds the server-side sessions.

    ``connect_at_startup`` (default True) makes the app's startup fail
    when the cluster cannot be reached, so a wrong address stops a deploy
    instead of turning every request into a 503. With False the app
    starts without Aerospike: the client connects on first use, and
    until that works (every later use tries again) routes that need
    Aerospike answer 503 and ``/health`` answers 503 "unavailable".
    """

    client: Mapping[str, Any]
    namespace: str = "test"
    set_name: str | None = None
    request_timeout_ms: int | None = None
    request_timeout_header: str | None = "X-Request-Timeout-Ms"
    cache_set: str = "http_cache"
    cache_ttl: int | None = 60
    cache_ignore_exceptions: bool = True
    session_set: str = "sessions"
    connect_at_startup: bool = True

    def __post_init__(self) -> None:
        parse_config(self.client)
        if not isinstance(self.connect_at_startup, bool):
            raise ValueError(
                "AerospikeSettings.connect_at_startup must be True or False, "
                f"not {self.connect_at_startup!r}"
            )
        for name in ("namespace", "cache_set", "session_set"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"AerospikeSettings.{name} must be a non-empty str")
        if self.cache_set == self.session_set:
            # Clearing the response cache truncates its set: the sessions
            # must not live there.
            raise ValueError(
                f"AerospikeSettings.cache_set and session_set are both "
                f"{self.cache_set!r}; clearing the cache would end every "
                "session: give them different sets"
            )
        _check_positive("request_timeout_ms", self.request_timeout_ms)
        _check_positive("cache_ttl", self.cache_ttl)

    def client_config(self) -> dict[str, Any]:
        """The ClientConfig dict (a copy)."""
        return dict(self.client)


def _check_positive(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"AerospikeSettings.{name} must be an int > 0 or None, not {value!r}"
        )


SettingsSource = AerospikeSettings | Mapping[str, Any] | ProvidesClientConfig


def resolve_settings(source: SettingsSource) -> AerospikeSettings:
    """Turn any accepted configuration into checked settings."""
    if isinstance(source, AerospikeSettings):
        return source
    if isinstance(source, Mapping):
        return AerospikeSettings(client=dict(source))
    if isinstance(source, ProvidesClientConfig):
        return AerospikeSettings(client=dict(source.client_config()))
    raise TypeError(
        "expected AerospikeSettings, a ClientConfig dict, or an object with "
        f"a client_config() method; got {type(source).__name__}"
    )
