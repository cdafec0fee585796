"""Check a ClientConfig dict once and keep it as typed settings."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aerospike_py import _constants as C
from aerospike_py._policy import PolicySet
from aerospike_py.cluster.hosts import Host, parse_hosts
from aerospike_py.exception import InvalidArgError

_KNOWN_KEYS = {
    "hosts",
    "cluster_name",
    "auth_mode",
    "user",
    "password",
    "timeout",
    "login_timeout",
    "idle_timeout",
    "max_conns_per_node",
    "min_conns_per_node",
    "conn_pools_per_node",
    "tend_interval",
    "use_services_alternate",
    "max_concurrent_operations",
    "operation_queue_timeout_ms",
    "max_error_rate",
    "error_rate_window",
    "tls",
    "policies",
    "app_id",
    "rack_aware",
    "rack_id",
}

_TLS_KEYS = {
    "enable",
    "cafile",
    "capath",
    "certfile",
    "keyfile",
    "keyfile_password",
    "protocols",
    "cipher_suite",
    "for_login_only",
    "verify",
    "name",
}


def _int(config: Mapping[str, Any], key: str, default: int, low: int = 0) -> int:
    value = config.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgError(
            f"ClientConfig[{key!r}] must be an int, not {type(value).__name__}"
        )
    if value < low:
        raise InvalidArgError(f"ClientConfig[{key!r}] is {value}; it must be >= {low}")
    return value


def _str(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidArgError(
            f"ClientConfig[{key!r}] must be a str, not {type(value).__name__}"
        )
    return value


def build_tls_context(tls: Any) -> ssl.SSLContext | None:
    """Return an SSL context for ClientConfig['tls'], or None when off."""
    if tls is None:
        return None
    if not isinstance(tls, Mapping):
        raise InvalidArgError("ClientConfig['tls'] must be a dict")
    unknown = set(tls) - _TLS_KEYS
    if unknown:
        raise InvalidArgError(
            f"unknown key(s) {sorted(unknown)} in ClientConfig['tls']; "
            f"known: {', '.join(sorted(_TLS_KEYS))}"
        )
    if not tls.get("enable", True):
        return None
    try:
        context = ssl.create_default_context(
            ssl.Purpose.SERVER_AUTH, cafile=tls.get("cafile"), capath=tls.get("capath")
        )
    except (OSError, ssl.SSLError) as exc:
        where = tls.get("cafile") or tls.get("capath")
        raise InvalidArgError(
            f"ClientConfig['tls']: cannot load the CA certificates {where!r}: {exc}"
        ) from exc
    if not tls.get("verify", True):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.get("certfile"):
        try:
            context.load_cert_chain(
                tls["certfile"], tls.get("keyfile"), tls.get("keyfile_password")
            )
        except (OSError, ssl.SSLError) as exc:
            raise InvalidArgError(
                f"ClientConfig['tls']: cannot load certfile {tls['certfile']!r}: {exc}"
            ) from exc
    if tls.get("cipher_suite"):
        try:
            context.set_ciphers(tls["cipher_suite"])
        except ssl.SSLError as exc:
            raise InvalidArgError(
                f"ClientConfig['tls']: no usable cipher in {tls['cipher_suite']!r}"
            ) from exc
    return context


# Keys of the official client's config that have no effect here (no rack
# routing, one pool per node, no circuit breaker). They are still checked,
# so that a config written for that client is read the same way.
_COMPATIBILITY_KEYS: dict[str, type] = {
    "rack_aware": bool,
    "rack_id": int,
    "conn_pools_per_node": int,
    "max_error_rate": int,
    "error_rate_window": int,
}
_TLS_COMPATIBILITY_KEYS: dict[str, type] = {"protocols": str, "for_login_only": bool}


def _check_compatibility_keys(config: Mapping[str, Any]) -> None:
    tls = config.get("tls")
    checks: list[tuple[str, Mapping[str, Any], dict[str, type]]] = [
        ("ClientConfig", config, _COMPATIBILITY_KEYS)
    ]
    if isinstance(tls, Mapping):
        checks.append(("ClientConfig['tls']", tls, _TLS_COMPATIBILITY_KEYS))
    for where, section, keys in checks:
        for key, kind in keys.items():
            value: Any = section.get(key)
            if value is None:
                continue
            if kind is int:
                valid = type(value) is int and value >= 0
            else:
                valid = isinstance(value, kind)
            if not valid:
                raise InvalidArgError(
                    f"{where}[{key!r}] must be a{'n' if kind is int else ''} "
                    f"{'int >= 0' if kind is int else kind.__name__}, not {value!r:.40}"
                )


def _check_auth_transport(
    auth_mode: int, context: ssl.SSLContext | None, tls: Any
) -> None:
    """External logins send the clear password and PKI logins present a
    client certificate: both need TLS (as the Java and Go clients insist)."""
    if auth_mode == C.AUTH_EXTERNAL and context is None:
        raise InvalidArgError(
            "auth_mode AUTH_EXTERNAL sends the password in clear and needs TLS; "
            "set ClientConfig['tls'] (or use AUTH_INTERNAL)"
        )
    if auth_mode == C.AUTH_PKI and (context is None or not tls.get("certfile")):
        raise InvalidArgError(
            "auth_mode AUTH_PKI logs in with a TLS client certificate; set "
            "ClientConfig['tls'] with 'certfile' (and 'keyfile')"
        )


@dataclass(frozen=True)
class ClientSettings:
    """A checked ClientConfig, times in seconds."""

    seeds: list[Host]
    cluster_name: str | None = None
    auth_mode: int = C.AUTH_INTERNAL
    user: str | None = None
    # Kept out of repr so that a logged or printed config never shows it.
    password: str | None = field(default=None, repr=False)
    connect_timeout: float = 1.0
    login_timeout: float = 5.0
    idle_timeout: float | None = 55.0
    max_conns_per_node: int = 100
    min_conns_per_node: int = 0
    tend_interval: float = 1.0
    use_services_alternate: bool = False
    max_concurrent_operations: int = 0
    operation_queue_timeout: float | None = None
    tls: ssl.SSLContext | None = None
    policies: PolicySet = field(default_factory=lambda: PolicySet(None))
    app_id: str | None = None

    def with_credentials(
        self, user: str | None, password: str | None
    ) -> ClientSettings:
        from dataclasses import replace

        for label, value in (("username", user), ("password", password)):
            if value is not None and not isinstance(value, str):
                raise InvalidArgError(
                    f"connect() {label} must be a str, not {type(value).__name__}"
                )
        return replace(
            self,
            user=user if user is not None else self.user,
            password=password if password is not None else self.password,
        )


def parse_config(config: Any) -> ClientSettings:
    """Check a ClientConfig and return its settings."""
    if not isinstance(config, Mapping):
        raise InvalidArgError(
            f"ClientConfig must be a dict, not {type(config).__name__}"
        )
    unknown = set(config) - _KNOWN_KEYS
    if unknown:
        raise InvalidArgError(
            f"unknown key(s) {sorted(unknown)} in ClientConfig; "
            f"known: {', '.join(sorted(_KNOWN_KEYS))}"
        )
    auth_mode = _int(config, "auth_mode", C.AUTH_INTERNAL)
    if auth_mode not in (C.AUTH_INTERNAL, C.AUTH_EXTERNAL, C.AUTH_PKI):
        raise InvalidArgError(
            f"ClientConfig['auth_mode'] is {auth_mode}; use AUTH_INTERNAL (0), "
            "AUTH_EXTERNAL (1) or AUTH_PKI (2)"
        )
    idle_ms = _int(config, "idle_timeout", 55_000)
    queue_ms = _int(config, "operation_queue_timeout_ms", 0)
    max_conns = _int(config, "max_conns_per_node", 100, low=1)
    min_conns = _int(config, "min_conns_per_node", 0)
    if min_conns > max_conns:
        raise InvalidArgError(
            f"ClientConfig['min_conns_per_node'] ({min_conns}) exceeds "
            f"'max_conns_per_node' ({max_conns})"
        )
    use_alt = config.get("use_services_alternate", False)
    if not isinstance(use_alt, bool):
        raise InvalidArgError("ClientConfig['use_services_alternate'] must be a bool")
    _check_compatibility_keys(config)
    tls = build_tls_context(config.get("tls"))
    _check_auth_transport(auth_mode, tls, config.get("tls"))
    return ClientSettings(
        seeds=parse_hosts(config.get("hosts")),
        cluster_name=_str(config, "cluster_name") or None,
        auth_mode=auth_mode,
        user=_str(config, "user"),
        password=_str(config, "password"),
        connect_timeout=_int(config, "timeout", 1000, low=1) / 1000,
        login_timeout=_int(config, "login_timeout", 5000, low=1) / 1000,
        idle_timeout=idle_ms / 1000 if idle_ms else None,
        max_conns_per_node=max_conns,
        min_conns_per_node=min_conns,
        tend_interval=_int(config, "tend_interval", 1000, low=10) / 1000,
        use_services_alternate=use_alt,
        max_concurrent_operations=_int(config, "max_concurrent_operations", 0),
        operation_queue_timeout=queue_ms / 1000 if queue_ms else None,
        tls=tls,
        policies=PolicySet(config.get("policies")),
        app_id=_str(config, "app_id"),
    )
