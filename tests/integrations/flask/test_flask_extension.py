"""The extension object: configuration, the client, app factories, fork."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from flask import Flask, session
from flask_caching import Cache

from aerospike_py import Client
from aerospike_py.exception import ClusterError
from aerospike_py.registry import registry
from flask_aerospike import Aerospike, AerospikeState, ConfigError

aerospike = Aerospike()  # at import time, before any app exists


def create_app(client_config, **config) -> Flask:
    """An app factory, as the Flask docs write one."""
    app = Flask("factory_app")
    app.config.update(SECRET_KEY="factory secret", AEROSPIKE=client_config, **config)
    aerospike.init_app(app)
    return app


def test_the_client_is_reached_inside_an_app_context(aerospike_config, aerospike_set):
    app = create_app(aerospike_config)
    with app.app_context():
        client = aerospike.client
        client.put(("test", aerospike_set, "k"), {"n": 1})
        assert client.get(("test", aerospike_set, "k")).bins == {"n": 1}
        assert client is aerospike.client
        assert client is registry.client(aerospike_config)
        assert aerospike.namespace == "test"


def test_the_state_lives_in_app_extensions(aerospike_config):
    app = create_app(aerospike_config, AEROSPIKE_NAMESPACE="test")
    state = app.extensions["aerospike"]
    assert isinstance(state, AerospikeState)
    assert state.config == aerospike_config
    assert not hasattr(aerospike, "app")


def test_the_client_outside_an_app_context_is_a_flask_error():
    with pytest.raises(RuntimeError, match="application context"):
        aerospike.client  # noqa: B018


def test_an_app_without_init_app_is_told_how_to_fix_it():
    app = Flask("bare")
    with app.app_context(), pytest.raises(ConfigError, match="init_app"):
        aerospike.client  # noqa: B018


def test_nothing_connects_at_import_init_app_or_in_constructors(free_port):
    dead = {"hosts": [("127.0.0.1", free_port)], "timeout": 200}
    app = create_app(
        dead,
        AEROSPIKE_SESSIONS=True,
        CACHE_TYPE="flask_aerospike.cache.AerospikeCache",
    )
    Cache(app)  # would raise if the backend connected
    app.test_client().get("/")  # a request that never touches Aerospike
    with app.app_context(), pytest.raises(ClusterError, match=str(free_port)):
        aerospike.client  # noqa: B018


def test_importing_the_package_opens_no_connection():
    script = (
        "import flask_aerospike, flask_aerospike.cache, flask_aerospike.cli\n"
        "import threading\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


EXIT_SCRIPT = """
import atexit, json, sys

seen = {}


def report():  # registered first, so it runs after the registry's exit hook
    print("connected at exit:", seen["client"].is_connected())


atexit.register(report)

from flask import Flask
from flask_aerospike import Aerospike

app = Flask("exiting")
app.config["AEROSPIKE"] = json.loads(sys.argv[1])
aerospike = Aerospike(app)
with app.app_context():
    seen["client"] = aerospike.client
    print("ping:", aerospike.client.ping())
"""


def test_the_client_is_closed_when_the_process_exits(aerospike_config):
    result = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, json.dumps(aerospike_config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["ping: True", "connected at exit: False"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, r"app.config\['AEROSPIKE'\] is not set"),
        (
            {"AEROSPIKE": "127.0.0.1:3000"},
            r"app.config\['AEROSPIKE'\] must be a ClientConfig dict .* not str",
        ),
        ({"AEROSPIKE": {"hostz": []}}, r"'AEROSPIKE'\] is invalid: unknown key.*hostz"),
        ({"AEROSPIKE": {"hosts": []}}, r"'AEROSPIKE'\] is invalid: .*'hosts'"),
        (
            {"AEROSPIKE": {"hosts": ["h:1"], "timeout": "1s"}},
            r"'AEROSPIKE'\] is invalid: .*'timeout'",
        ),
        (
            {"AEROSPIKE": {"hosts": ["h:1"]}, "AEROSPIKE_NAMESPACE": "n" * 32},
            "AEROSPIKE_NAMESPACE .* 32 bytes; Aerospike allows 31",
        ),
        (
            {"AEROSPIKE": {"hosts": ["h:1"]}, "AEROSPIKE_SESSIONS": "yes"},
            "AEROSPIKE_SESSIONS must be True or False",
        ),
    ],
)
def test_bad_configuration_fails_at_init_app_naming_the_key(config, message):
    app = Flask("misconfigured")
    app.config.update(config)
    with pytest.raises(ConfigError, match=message):
        Aerospike(app)
    assert "aerospike" not in app.extensions


def test_init_app_twice_reads_the_config_again(aerospike_config, other_server):
    app = create_app(aerospike_config)
    app.config["AEROSPIKE"] = other_server.client_config()
    aerospike.init_app(app)
    with app.app_context():
        assert aerospike.client is registry.client(other_server.client_config())


def test_two_apps_with_different_configs_in_one_process(
    aerospike_config, other_server, aerospike_set
):
    first = create_app(
        aerospike_config,
        AEROSPIKE_SESSIONS=True,
        AEROSPIKE_SESSION_SET=f"{aerospike_set[:50]}_s",
        CACHE_TYPE="flask_aerospike.cache.AerospikeCache",
        CACHE_OPTIONS={"set": f"{aerospike_set[:50]}_c"},
    )
    second = create_app(
        other_server.client_config(),
        AEROSPIKE_NAMESPACE="apps",
        AEROSPIKE_SESSIONS=True,
        CACHE_TYPE="flask_aerospike.cache.AerospikeCache",
        CACHE_OPTIONS={"set": f"{aerospike_set[:50]}_c"},
    )
    cache = Cache()  # one Cache object serving both apps
    for app in (first, second):
        cache.init_app(app)

        @app.get("/remember/<value>")
        def remember(value):
            session["value"] = value
            cache.set("value", value)
            aerospike.client.put((aerospike.namespace, "apps_data", "k"), {"v": value})
            return "ok"

        @app.get("/recall")
        def recall():
            return {"session": session.get("value"), "cache": cache.get("value")}

    first.test_client().get("/remember/one")
    second.test_client().get("/remember/two")

    with first.app_context():
        assert cache.get("value") == "one"
        assert aerospike.client.get(("test", "apps_data", "k")).bins == {"v": "one"}
    with second.app_context():
        assert cache.get("value") == "two"
        assert aerospike.client.get(("apps", "apps_data", "k")).bins == {"v": "two"}
        cache.clear()
    with first.app_context():
        assert cache.get("value") == "one"  # clearing the second left the first
    stores = [app.session_interface.engine for app in (first, second)]
    assert [store.namespace for store in stores] == ["test", "apps"]
    assert [store.count() for store in stores] == [1, 1]


def test_a_forked_worker_gets_its_own_client(aerospike_config, aerospike_set):
    app = create_app(aerospike_config)
    with app.app_context():
        parent_client = aerospike.client
        parent_client.put(("test", aerospike_set, "from"), {"who": "parent"})

    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        status = 1
        try:
            with app.app_context():
                child_client = aerospike.client
                child_client.put(("test", aerospike_set, "from"), {"who": "child"})
                if child_client is not parent_client and isinstance(
                    child_client, Client
                ):
                    status = 0
        finally:
            os._exit(status)

    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with app.app_context():
        record = aerospike.client.get(("test", aerospike_set, "from"))
        assert record.bins == {"who": "child"}  # the parent's client still works
