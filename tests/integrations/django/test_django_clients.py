"""One client per process: shared by threads and requests, renewed on fork."""

from __future__ import annotations

import os
import threading
import time

import pytest
from aerospike_testproject.testing import cache_entry, closed_port, run_async
from django.apps import apps
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished
from django.test import Client

from django_aerospike import aget_client, get_client
from django_aerospike.apps import DjangoAerospikeConfig


def test_the_app_is_installed():
    assert isinstance(apps.get_app_config("django_aerospike"), DjangoAerospikeConfig)


def test_get_client_returns_one_connected_client_per_alias():
    client = get_client()
    assert client is get_client("default")
    assert client.is_connected()


def test_get_client_of_an_unknown_alias_says_how_to_add_it():
    with pytest.raises(ImproperlyConfigured, match=r"AEROSPIKE\['nope'\] = "):
        get_client("nope")


def test_aget_client_returns_a_connected_async_client():
    async def scenario():
        client = await aget_client()
        same = await aget_client("default")
        return client is same and client.is_connected()

    assert run_async(scenario) is True


def test_threads_get_their_own_backend_but_share_the_client():
    seen = {}

    def use_cache(name):
        cache = caches["default"]
        cache.set(name, name)
        seen[name] = (cache, cache.get_client())

    threads = [threading.Thread(target=use_cache, args=(f"t{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    backends = {id(backend) for backend, _ in seen.values()}
    clients = {id(client) for _, client in seen.values()}
    assert len(backends) == 3 and len(clients) == 1
    assert caches["default"].get_many(list(seen)) == {name: name for name in seen}


def test_end_of_request_keeps_the_client_connected():
    cache = caches["default"]
    cache.set("k", 1)
    client = cache.get_client()
    Client().get("/visit/")  # a whole request: request_finished closes caches
    request_finished.send(sender=None)
    assert client.is_connected()
    assert cache.get("k") == 1 and cache.get_client() is client


def test_closing_costs_nothing_on_an_unused_backend(settings, set_prefix):
    settings.CACHES = {
        "down": cache_entry(set_prefix, LOCATION=f"127.0.0.1:{closed_port()}")
    }
    started = time.perf_counter()
    for _ in range(1000):
        caches["down"].close()
    assert time.perf_counter() - started < 0.1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_worker_connects_its_own_client():
    # gunicorn --preload: the master connected before forking its workers.
    cache = caches["default"]
    cache.set("k", "from parent")
    parent_client = cache.get_client()
    pid = os.fork()
    if pid == 0:
        os._exit(_child_exit_code(cache, parent_client))
    assert _wait(pid) == 0
    assert parent_client.is_connected()
    assert cache.get("k") == "from child"


def _child_exit_code(cache, parent_client):
    try:
        client = cache.get_client()
        if client is parent_client or get_client() is not client:
            return 2
        if cache.get("k") != "from parent":
            return 3
        cache.set("k", "from child")
        return 0
    except BaseException:
        return 4


def _wait(pid):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return "timed out"
