"""Run the Django tests in the test project, against an embedded server.

Django is configured only here, and DJANGO_SETTINGS_MODULE is not left in
the environment, so the rest of the suite is unaffected. The server is
this directory's own: tests here move its clock, which must not expire
other tests' records.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import django
import pytest
from aerospike_testproject.testing import cache_entry
from django.conf import settings as django_settings

from aerospike_py.registry import registry
from aerospike_py.server import EmbeddedServer
from aerospike_py.server.storage import NamespaceConfig

if not django_settings.configured:
    # Load the settings through the variable, then drop it: subprocesses of
    # other tests must not inherit it. pytest-django sets Django up only for
    # settings known before conftest files load, so do that here too.
    os.environ["DJANGO_SETTINGS_MODULE"] = "aerospike_testproject.settings"
    django_settings.INSTALLED_APPS  # noqa: B018 - loads the settings
    del os.environ["DJANGO_SETTINGS_MODULE"]
    django.setup()


@pytest.fixture(scope="session")
def django_server() -> Iterator[EmbeddedServer]:
    """An embedded server with a namespace ``plain`` that has no expiry."""
    server = EmbeddedServer(
        port=0, namespaces=["test", NamespaceConfig("plain", nsup_period=0)]
    )
    server.start()
    try:
        yield server
    finally:
        registry.close()
        server.stop()


@pytest.fixture(autouse=True)
def rewind_clock(django_server: EmbeddedServer) -> Iterator[None]:
    """Undo a test's advance_clock(), so that later tests' records do not
    expire early."""
    clock = django_server.cluster.clock
    before = clock.offset_ns
    yield
    clock.offset_ns = before


@pytest.fixture
def set_prefix(request: pytest.FixtureRequest) -> str:
    """A set-name stem unique to the running test."""
    return re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[-50:]


@pytest.fixture(autouse=True)
def project_settings(
    settings: Any, django_server: EmbeddedServer, set_prefix: str
) -> Any:
    """Point the project at the embedded server, with this test's own sets."""
    settings.AEROSPIKE = {"default": django_server.client_config()}
    settings.CACHES = {
        "default": cache_entry(f"c_{set_prefix}"),
        "other": cache_entry(f"o_{set_prefix}"),
        "locmem": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": set_prefix,
        },
    }
    settings.AEROSPIKE_SESSIONS = {"namespace": "test", "set": f"s_{set_prefix}"}
    return settings
