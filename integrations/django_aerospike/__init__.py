"""Django integration of aerospike_py: cache, sessions, admin commands, checks.

    INSTALLED_APPS = [..., "django_aerospike"]
    AEROSPIKE = {"default": {"hosts": ["127.0.0.1:3000"]}}
    CACHES = {"default": {"BACKEND": "django_aerospike.cache.AerospikeCache",
                          "LOCATION": "default"}}
    SESSION_ENGINE = "django_aerospike.sessions"

``get_client(alias)`` / ``aget_client(alias)`` return the shared client of
an AEROSPIKE alias; ``django_aerospike.cache.get_aerospike_client(alias)``
the one behind a CACHES alias.
"""

from django_aerospike.connections import aget_client, get_client

__all__ = ["aget_client", "get_client"]
