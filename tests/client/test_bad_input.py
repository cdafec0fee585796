"""Bad input is refused before anything is sent, with a typed error that
names what is wrong."""

from __future__ import annotations

import pytest

import aerospike_py
from aerospike_py.exception import InvalidArgError


def _sent(server):
    return sum(node.stats["commands"] for node in server.nodes)


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        (["test", "s", "k"], "must be a tuple"),
        (("test", "s"), "3 or 4 items"),
        (("test", "s", "k", b"short", "extra"), "3 or 4 items"),
        (("test", "s", 1.5), "float"),
        (("test", "s", None), "user key or a digest"),
        (("test", "s", None, b"x" * 5), "digest must be 20 bytes"),
        (("test", "s", True), "bool"),
        (("test", "s", {"a": 1}), "user key must be"),
        (("n" * 32, "s", "k"), "namespace 'nnnnn"),
        (("test", "s" * 64, "k"), "63"),
        ((1, "s", "k"), "namespace must be a str"),
        (("", "s", "k"), "namespace must not be empty"),
        (("test", "s", 2**63), "64-bit"),
    ],
)
def test_malformed_keys_are_refused_before_sending(client, server, key, fragment):
    before = _sent(server)
    with pytest.raises(InvalidArgError) as info:
        client.put(key, {"a": 1})
    assert fragment in str(info.value)
    assert _sent(server) == before


@pytest.mark.parametrize(
    ("bins", "fragment"),
    [
        ({"big": 2**63}, "bin 'big'"),
        ({"neg": -(2**63) - 1}, "bin 'neg'"),
        ({"t": (1, 2)}, "bin 't': unsupported type for an Aerospike value: tuple"),
        ({"s": {1, 2}}, "bin 's'"),
        ({"o": object()}, "bin 'o'"),
        ({"m": {1.5: "x"}}, "map key 1.5"),
        ({"m": {True: "x"}}, "map key True"),
        ({"nested": [1, [2, {"x": (3,)}]]}, "bin 'nested'"),
        ({"é" * 8: 1}, "is 16 bytes; Aerospike allows 15"),
        ({"temperature_celsius": 1}, "'temperature_celsius' is 19 bytes"),
        ({1: "x"}, "bin name must be a str"),
    ],
)
def test_unsupported_values_and_names_are_refused(client, server, key, bins, fragment):
    before = _sent(server)
    with pytest.raises(InvalidArgError) as info:
        client.put(key, bins)
    assert fragment in str(info.value)
    assert _sent(server) == before
    assert client.exists(key).meta is None


def test_bins_must_be_a_non_empty_dict(client, key):
    with pytest.raises(InvalidArgError, match="bins must be a dict"):
        client.put(key, [("a", 1)])
    with pytest.raises(InvalidArgError, match="at least one bin"):
        client.put(key, {})


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        ({"total_timeout": "1000"}, "WritePolicy['total_timeout'] must be an int"),
        ({"total_timeout": -1}, "allowed: 0..4294967295"),
        # Past 32 bits the server would read a wrapped, far shorter timeout.
        ({"total_timeout": 2**32 + 5}, "is 4294967301; allowed: 0..4294967295"),
        ({"socket_timeout": 2**40}, "WritePolicy['socket_timeout'] is 1099511627776"),
        ({"max_retries": 2**64}, "WritePolicy['max_retries']"),
        ({"exists": 99}, "WritePolicy['exists'] is 99"),
        ({"key": "send"}, "WritePolicy['key']"),
        ({"no_such_key": 1}, "unknown key 'no_such_key' in WritePolicy"),
        ({"durable_delete": "yes"}, "must be a bool"),
        ({"ttl": -7}, "WritePolicy['ttl']"),
    ],
)
def test_policy_values_of_the_wrong_type_are_refused(client, key, policy, fragment):
    with pytest.raises(InvalidArgError) as info:
        client.put(key, {"a": 1}, policy=policy)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "policy",
    [{"socket_timeout": 2**40}, {"max_records": 2**70}, {"records_per_second": -1}],
)
def test_query_policy_values_out_of_range_are_refused(client, policy):
    name = next(iter(policy))
    with pytest.raises(InvalidArgError, match=rf"QueryPolicy\['{name}'\] is .*allowed"):
        client.query("test", "s").results(policy)


def test_more_bins_than_a_message_carries_are_refused(client, server, key):
    client.put(key, {"a": 1})
    names = [f"b{i}" for i in range(70_000)]
    before = _sent(server)
    calls = [
        lambda: client.put(key, dict.fromkeys(names, 1)),
        lambda: client.select(key, names),
        lambda: client.operate(key, [aerospike_py.operations.read("a")] * 70_000),
        lambda: client.batch_read([key], names),
        lambda: client.query("test", "s").select(*names).results(),
    ]
    for call in calls:
        with pytest.raises(InvalidArgError, match="70000 bins or operations"):
            call()
    assert _sent(server) == before
    assert client.get(key).bins == {"a": 1}


def test_read_policy_is_checked_too(client, key):
    with pytest.raises(InvalidArgError, match="ReadPolicy"):
        client.get(key, {"replica": 42})


def test_meta_is_checked(client, key):
    with pytest.raises(InvalidArgError, match="unknown key 'tll' in meta"):
        client.put(key, {"a": 1}, meta={"tll": 10})
    with pytest.raises(InvalidArgError, match="meta must be a dict"):
        client.put(key, {"a": 1}, meta=[("ttl", 1)])


def test_operation_lists_are_checked(client, key):
    from aerospike_py import operations as op

    with pytest.raises(InvalidArgError, match="ops is empty"):
        client.operate(key, [])
    with pytest.raises(InvalidArgError, match="no 'op' key"):
        client.operate(key, [{"bin": "a"}])
    with pytest.raises(InvalidArgError, match="unknown op code 999"):
        client.operate(key, [{"op": 999, "bin": "a"}])
    with pytest.raises(
        InvalidArgError, match="operation 1: op code 2 needs the key 'val'"
    ):
        client.operate(
            key, [op.read("a"), {"op": aerospike_py.OPERATOR_WRITE, "bin": "a"}]
        )
    with pytest.raises(InvalidArgError, match="increment of bin 'a' needs an int"):
        client.operate(key, [op.increment("a", "1")])
    # A bool or a float equal to an op code is not that op code.
    for code in (True, 1.0):
        with pytest.raises(InvalidArgError, match=f"unknown op code {code}"):
            client.operate(key, [{"op": code, "bin": "a"}])


def test_text_that_is_not_utf8_names_its_bin(client, key):
    with pytest.raises(InvalidArgError, match=r"^bin 'a': string value 'x"):
        client.put(key, {"a": "x\ud800"})
    with pytest.raises(InvalidArgError, match=r"^bin 'b': string 'y"):
        client.put(key, {"b": ["y\udc80"]})


def test_a_udf_argument_that_cannot_be_sent_is_named_by_position(client, key):
    with pytest.raises(InvalidArgError, match=r"^UDF args\[1\]: unsupported type"):
        client.apply(key, "module", "function", [1, object()])
    with pytest.raises(InvalidArgError, match=r"^UDF args\[2\]: string"):
        client.apply(key, "module", "function", [1, "ok", ["\ud800"]])


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        ([("", 3000)], "address is empty"),
        (["::1"], r"IPv6 address goes in brackets: '\[::1\]:3000'"),
        ([":3000"], "has no address"),
    ],
)
def test_host_entries_without_an_address_say_so(hosts, message):
    with pytest.raises(InvalidArgError, match=message):
        aerospike_py.client({"hosts": hosts})


def test_hosts_may_be_a_tuple_of_seeds():
    config = {"hosts": (("127.0.0.1", 3000), "127.0.0.2:3001")}
    seeds = aerospike_py.client(config)._settings.seeds
    assert [(seed.name, seed.port) for seed in seeds] == [
        ("127.0.0.1", 3000),
        ("127.0.0.2", 3001),
    ]


def test_increment_and_append_values_are_checked(client, key):
    with pytest.raises(InvalidArgError, match="int or float offset"):
        client.increment(key, "n", "5")
    with pytest.raises(InvalidArgError, match="str or bytes"):
        client.append(key, "s", 5)
    with pytest.raises(InvalidArgError, match="TTL in seconds"):
        client.touch(key, -1)


def test_client_config_is_checked_when_built():
    with pytest.raises(InvalidArgError, match="needs 'hosts'"):
        aerospike_py.client({})
    with pytest.raises(InvalidArgError, match="is empty"):
        aerospike_py.client({"hosts": []})
    with pytest.raises(InvalidArgError, match="unknown key"):
        aerospike_py.client({"hosts": [("127.0.0.1", 3000)], "max_conns": 5})
    with pytest.raises(InvalidArgError, match=r"port must be 1\.\.65535"):
        aerospike_py.client({"hosts": [("127.0.0.1", 70000)]})
    with pytest.raises(InvalidArgError, match="auth_mode"):
        aerospike_py.client({"hosts": [("127.0.0.1", 3000)], "auth_mode": 7})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"rack_aware": "yes"}, r"\['rack_aware'\] must be a bool, not 'yes'"),
        ({"max_error_rate": "x"}, r"\['max_error_rate'\] must be an int >= 0"),
        ({"conn_pools_per_node": -5}, r"\['conn_pools_per_node'\] must be an int"),
        ({"tls": {"enable": False, "protocols": 123}}, r"\['tls'\]\['protocols'\]"),
        (
            {"tls": {"enable": False, "for_login_only": "maybe"}},
            r"\['for_login_only'\] must be a bool",
        ),
    ],
)
def test_keys_kept_for_the_official_clients_configs_are_still_checked(extra, message):
    with pytest.raises(InvalidArgError, match=message):
        aerospike_py.client({"hosts": [("127.0.0.1", 3000)], **extra})
    # Well-typed, they load (and have no effect).
    aerospike_py.client(
        {"hosts": [("127.0.0.1", 3000)], "rack_aware": True, "rack_id": 2}
    )


def test_calls_before_connect_say_so():
    client = aerospike_py.client({"hosts": [("127.0.0.1", 3000)]})
    with pytest.raises(aerospike_py.ClientError, match="not connected"):
        client.get(("test", "s", "k"))
    assert client.ping() is False
    client.close()  # closing a never-connected client is fine


def test_connecting_to_nothing_is_a_cluster_error():
    client = aerospike_py.client({"hosts": [("127.0.0.1", 1)], "timeout": 200})
    with pytest.raises(aerospike_py.ClusterError, match=r"127\.0\.0\.1:1"):
        client.connect()


LONE_SURROGATE = "\ud800"  # a str Python holds but UTF-8 cannot encode


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda c, k: c.put((k[0], k[1], LONE_SURROGATE), {"a": 1}), "user key"),
        (lambda c, k: c.put((k[0], LONE_SURROGATE, "k"), {"a": 1}), "set name"),
        (lambda c, k: c.put(k, {LONE_SURROGATE: 1}), "bin name"),
        (lambda c, k: c.put(k, {"a": LONE_SURROGATE}), "string value"),
        (lambda c, k: c.put(k, {"a": [1, {"b": LONE_SURROGATE}]}), "string"),
        (lambda c, k: c.info_all(LONE_SURROGATE), "info command"),
        (lambda c, k: c.info_random_node(LONE_SURROGATE), "info command"),
        (
            lambda c, k: c.index_integer_create("test", k[1], "a", LONE_SURROGATE),
            "index name",
        ),
    ],
)
def test_text_that_is_not_utf8_is_refused_by_name(client, server, key, call, fragment):
    sent = _sent(server)

    with pytest.raises(InvalidArgError, match=f"{fragment} .* is not valid text"):
        call(client, key)

    assert _sent(server) == sent


@pytest.mark.parametrize("host", ["\ud800", "two words", "nul\0byte"])
def test_host_names_the_resolver_cannot_take_are_refused(host):
    with pytest.raises(InvalidArgError, match="is not a valid host name"):
        aerospike_py.client({"hosts": [(host, 3000)]}).connect()


def test_tls_files_that_do_not_load_are_named():
    config = {"hosts": [("127.0.0.1", 3000)], "tls": {"cafile": "/nonexistent.pem"}}
    with pytest.raises(InvalidArgError, match=r"'/nonexistent\.pem'"):
        aerospike_py.client(config).connect()


def test_a_batch_for_a_namespace_no_node_holds_answers_per_row(client):
    keys = [("nosuch", "s", "k1"), ("nosuch", "s", "k2")]

    assert [r.result for r in client.batch_read(keys).batch_records] == [20, 20]
    assert [r.result for r in client.batch_remove(keys).batch_records] == [20, 20]
