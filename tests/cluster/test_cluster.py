"""A three-node embedded cluster: topology, routing, node loss and growth."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import aerospike_py
from aerospike_py.exception import ClusterError
from aerospike_py.server import EmbeddedServer
from aerospike_py.wire import message as msg

TEND = 50  # ms, so topology changes are seen quickly


@pytest.fixture
def cluster():
    with EmbeddedServer(nodes=3, replication_factor=2) as server:
        yield server


def _config(server, **extra):
    return server.client_config(tend_interval=TEND, **extra)


def _proxied(server):
    return sum(node.stats["proxied"] for node in server.nodes)


def _commands(server):
    return [node.stats["commands"] for node in server.nodes]


def test_client_discovers_every_node_from_one_seed(cluster, client_factory):
    seed = cluster.hosts[:1]
    client = client_factory({"hosts": seed, "tend_interval": TEND})
    assert sorted(client.get_node_names()) == sorted(n.node_id for n in cluster.nodes)
    stats = client.get_stats()["nodes"]
    assert sum(node["partitions"]["test"] for node in stats) == 4096
    assert all(node["partitions"]["test"] > 1000 for node in stats)


def test_every_command_lands_on_the_partition_master(cluster, client_factory):
    client = client_factory(_config(cluster))
    for i in range(300):
        client.put(("test", "route", i), {"i": i})
    for i in range(300):
        assert client.get(("test", "route", i)).bins == {"i": i}
    assert _proxied(cluster) == 0
    assert all(count > 50 for count in _commands(cluster))


def test_reads_survive_a_node_stop_with_replication_factor_two(cluster, client_factory):
    client = client_factory(_config(cluster))
    for i in range(200):
        client.put(("test", "loss", i), {"i": i})
    cluster.stop_node(1)
    # immediately: reads retry on the replica
    policy = {"max_retries": 2, "total_timeout": 3000}
    for i in range(200):
        assert client.get(("test", "loss", i), policy).bins == {"i": i}
    client_factory.sleep(TEND * 4 / 1000)
    assert len(client.get_node_names()) == 2
    for i in range(200):
        client.put(("test", "loss", i), {"i": -i})
    for i in range(200):
        assert client.get(("test", "loss", i)).bins == {"i": -i}
    assert _proxied(cluster) == 0


def test_reads_keep_working_while_a_node_stops_mid_workload(cluster):
    config = _config(cluster)
    with aerospike_py.client(config).connect() as client:
        for i in range(100):
            client.put(("test", "midway", i), {"i": i})
        failures = []
        stop = threading.Event()

        def reader():
            i = 0
            while not stop.is_set():
                key = ("test", "midway", i % 100)
                try:
                    record = client.get(key, {"max_retries": 3, "total_timeout": 5000})
                    assert record.bins == {"i": i % 100}
                except Exception as exc:  # collected, asserted below
                    failures.append(exc)
                i += 1

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        cluster.stop_node(2)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []


def test_writes_to_moved_partitions_succeed_after_the_next_tend(client_factory):
    with EmbeddedServer(nodes=3) as server:  # replication factor 1
        client = client_factory(_config(server))
        server.stop_node(0)
        client_factory.sleep(TEND * 4 / 1000)
        for i in range(200):
            client.put(("test", "moved", i), {"i": i})
            assert client.get(("test", "moved", i)).bins == {"i": i}
        assert _proxied(server) == 0
        assert server.nodes[0].stats["commands"] == 0


def test_an_added_node_receives_traffic(cluster, client_factory):
    client = client_factory(_config(cluster))
    new_node = cluster.add_node()
    client_factory.sleep(TEND * 4 / 1000)
    assert new_node.node_id in client.get_node_names()
    for i in range(300):
        client.put(("test", "grow", i), {"i": i})
    assert new_node.stats["commands"] > 30
    assert _proxied(cluster) == 0


def test_a_restarted_node_rejoins(cluster, client_factory):
    client = client_factory(_config(cluster))
    cluster.stop_node(1)
    client_factory.sleep(TEND * 4 / 1000)
    assert len(client.get_node_names()) == 2
    cluster.start_node(1)
    client_factory.sleep(TEND * 6 / 1000)
    assert len(client.get_node_names()) == 3
    for i in range(100):
        client.put(("test", "rejoin", i), {"i": i})
    assert _proxied(cluster) == 0


def test_wrong_cluster_name_is_a_clear_connect_error(cluster):
    config = _config(cluster, cluster_name="production")
    with pytest.raises(ClusterError) as info:
        aerospike_py.client(config).connect()
    assert "'embedded', not 'production'" in str(info.value)


def test_seed_list_with_dead_seeds_still_connects(cluster):
    hosts = [("127.0.0.1", 1), *cluster.hosts[1:2]]
    with aerospike_py.client({"hosts": hosts}).connect() as client:
        assert len(client.get_node_names()) == 3


def test_services_alternate_peers_are_honoured(cluster):
    config = _config(cluster, use_services_alternate=True)
    with aerospike_py.client(config).connect() as client:
        assert len(client.get_node_names()) == 3


def test_info_all_reaches_every_node(cluster, client_factory):
    client = client_factory(_config(cluster))
    results = client.info_all("node")
    node_ids = sorted(n.node_id for n in cluster.nodes)
    assert sorted(r.response for r in results) == node_ids
    assert all(r.error_code == 0 for r in results)


def test_official_client_sees_the_same_topology(cluster):
    aerospike = pytest.importorskip("aerospike")
    official = aerospike.client({"hosts": cluster.hosts[:1]}).connect()
    try:
        assert sorted(official.get_nodes()) == sorted(cluster.hosts)
        official.put(("test", "official", 1), {"a": 1})
        assert official.get(("test", "official", 1))[2] == {"a": 1}
    finally:
        official.close()
    assert _proxied(cluster) == 0


def test_control_command_stops_and_starts_nodes(cluster, capsys):
    from aerospike_py.server.control import main as control

    port = cluster.port
    assert control(["--port", str(port), "status"]) == 0
    assert capsys.readouterr().out.count(":up") == 3
    assert control(["--port", str(port), "stop-node", "2"]) == 0
    deadline = time.monotonic() + 5
    while cluster.nodes[2].running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not cluster.nodes[2].running
    capsys.readouterr()
    assert control(["--port", str(port), "status"]) == 0
    assert capsys.readouterr().out.count(":down") == 1
    assert control(["--port", str(port), "start-node", "2"]) == 0
    deadline = time.monotonic() + 5
    while not cluster.nodes[2].running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cluster.nodes[2].running
    assert control(["--port", str(port), "stop-node", "9"]) == 1
    assert "no node 9" in capsys.readouterr().err


def test_server_process_serves_three_nodes_from_the_command_line():
    from benchmarks._server import server_process

    with server_process(nodes=3, replication_factor=2) as hosts:
        assert len(hosts) == 3
        with aerospike_py.client({"hosts": hosts[:1]}).connect() as client:
            assert len(client.get_node_names()) == 3
            client.put(("test", "cli", 1), {"a": 1})
            assert client.get(("test", "cli", 1)).bins == {"a": 1}


def test_the_control_command_runs_as_a_module_without_warnings(cluster):
    import subprocess
    import sys

    command = [sys.executable, "-m", "aerospike_py.server.control"]
    result = subprocess.run(
        [*command, "--port", str(cluster.port), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.count(":up") == 3


def test_add_node_requests_stop_at_the_node_limit():
    from aerospike_py.server.node_control import MAX_NODES

    with EmbeddedServer() as server:
        # One request asking for far more nodes than the limit.
        text = "embedded-control:action=add-node\n" * (MAX_NODES + 10)
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(msg.proto_header(msg.MSG_INFO, len(text)) + text.encode())
            header = sock.recv(8, socket.MSG_WAITALL)
            _, _, size = msg.parse_proto_header(header)
            answer = sock.recv(size, socket.MSG_WAITALL).decode()

        assert answer.count("ERROR:4") >= 10
        deadline = time.monotonic() + 30
        while len(server.nodes) < MAX_NODES and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        assert len(server.nodes) == MAX_NODES


def test_each_node_announces_its_own_port_and_answers_status(cluster):
    ports = {node.node_id: node.port for node in cluster.nodes}
    with aerospike_py.client(cluster.client_config()).connect() as client:
        for reply in client.info_all("peers-clear-std"):
            assert reply.response.split(",")[1] == str(ports[reply.node_name])
        replies = client.info_all("status")
    assert [reply.response for reply in replies] == ["ok"] * len(ports)
