"""System checks: bad AEROSPIKE, CACHES and session settings, found at startup.

They read the settings through :mod:`django_aerospike.conf`, the code the
backends run, and never connect: a check must not need the cluster up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from aerospike_py.cluster.hosts import parse_hosts
from django_aerospike import conf

SESSION_ENGINE = "django_aerospike.sessions"


@register(Tags.caches)
def check_aerospike_setting(**kwargs: Any) -> list[CheckMessage]:
    """Check that every AEROSPIKE alias holds a valid ClientConfig."""
    try:
        aliases = list(conf.aerospike_setting())
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="django_aerospike.E001")]
    return [
        Error(message, id="django_aerospike.E002")
        for message in _failures(conf.client_config, aliases)
    ]


@register(Tags.caches)
def check_caches(**kwargs: Any) -> list[CheckMessage]:
    """Check the OPTIONS and LOCATION of every CACHES alias of ours."""
    messages: list[CheckMessage] = []
    places: dict[tuple[str, str, str], str] = {}
    for alias, entry in aerospike_caches():
        try:
            found = _cache_settings(alias, entry)
        except ImproperlyConfigured as exc:
            messages.append(Error(str(exc), id="django_aerospike.E003"))
            continue
        place = _place(found.client, found.namespace, found.set_name)
        if place in places:
            messages.append(_shared_set_warning(places[place], alias, place))
        places.setdefault(place, alias)
    return messages


@register(Tags.caches, "sessions")
def check_sessions(**kwargs: Any) -> list[CheckMessage]:
    """Check AEROSPIKE_SESSIONS when the session engine is ours."""
    if settings.SESSION_ENGINE != SESSION_ENGINE:
        return []
    try:
        found = conf.session_settings()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="django_aerospike.E004")]
    alias = _cache_at(_place(found.client, found.namespace, found.set_name))
    if alias is None:
        return []
    return [
        Error(
            f"CACHES[{alias!r}] and AEROSPIKE_SESSIONS use the same set "
            f"{found.set_name!r}: clearing the cache would log every user out",
            hint="Give the sessions or the cache a set of its own.",
            id="django_aerospike.E005",
        )
    ]


def aerospike_caches() -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield the CACHES aliases backed by AerospikeCache (or a subclass).

    Reads settings.CACHES rather than caches.all(), which lists only the
    aliases used so far (django-extensions#1202).
    """
    from django_aerospike.cache import AerospikeCache

    for alias, entry in settings.CACHES.items():
        try:
            backend = import_string(entry["BACKEND"])
        except (ImportError, KeyError):
            continue  # Django's own checks and handler report these
        if isinstance(backend, type) and issubclass(backend, AerospikeCache):
            yield alias, entry


def _cache_at(place: tuple[str, str, str]) -> str | None:
    """Return the alias of an Aerospike cache stored at ``place``, if any."""
    for alias, entry in aerospike_caches():
        try:
            found = _cache_settings(alias, entry)
        except ImproperlyConfigured:
            continue  # reported by check_caches
        if _place(found.client, found.namespace, found.set_name) == place:
            return alias
    return None


def _cache_settings(alias: str, entry: dict[str, Any]) -> conf.CacheSettings:
    return conf.cache_settings(
        f"CACHES[{alias!r}]", entry.get("LOCATION", ""), entry.get("OPTIONS") or {}
    )


def _failures(check: Callable[[str], Any], aliases: list[str]) -> Iterator[str]:
    for alias in aliases:
        try:
            check(alias)
        except ImproperlyConfigured as exc:
            yield str(exc)


def _place(
    client: dict[str, Any], namespace: str, set_name: str
) -> tuple[str, str, str]:
    """Name where records land: the seed hosts, the namespace and the set."""
    seeds = sorted(f"{host.name}:{host.port}" for host in parse_hosts(client["hosts"]))
    return (",".join(seeds), namespace, set_name)


def _shared_set_warning(
    first: str, second: str, place: tuple[str, str, str]
) -> Warning:
    return Warning(
        f"CACHES[{first!r}] and CACHES[{second!r}] share namespace "
        f"{place[1]!r} and set {place[2]!r}: clear() on one empties both",
        hint="Give each cache alias a set of its own in OPTIONS['set'].",
        id="django_aerospike.W001",
    )
