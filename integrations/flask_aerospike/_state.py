"""The per-app state of the extension, kept in ``app.extensions``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from aerospike_py import Client
from aerospike_py.registry import registry
from flask_aerospike._config import ConfigError

EXTENSION_KEY = "aerospike"


@dataclass(frozen=True)
class AerospikeState:
    """What ``init_app`` read from one app's config.

    Kept in ``app.extensions["aerospike"]``; it holds no client, so a
    state copied into a forked worker is still valid there.
    """

    config: Mapping[str, Any]
    namespace: str

    def client(self) -> Client:
        """The connected client of this configuration (connects lazily)."""
        return registry.client(self.config)


def get_state(app: Flask) -> AerospikeState:
    """Return the state ``init_app`` registered for ``app``."""
    state = app.extensions.get(EXTENSION_KEY)
    if not isinstance(state, AerospikeState):
        raise ConfigError(
            f"flask_aerospike is not set up on app {app.name!r}: call "
            "Aerospike(app), or aerospike.init_app(app) in the app factory"
        )
    return state
