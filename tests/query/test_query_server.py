"""The embedded server's query stream and index / truncate info commands,
driven with raw requests (PROTOCOL.md 2.5, 2.6, 6.3, 8)."""

from __future__ import annotations

import socket
import struct

import pytest

import aerospike_py
from aerospike_py import predicates as p
from aerospike_py.server import EmbeddedServer
from aerospike_py.server import info as server_info
from aerospike_py.wire import info
from aerospike_py.wire import message as msg
from aerospike_py.wire.digest import compute_digest, partition_id

ALL_PIDS = b"".join(struct.pack("<H", pid) for pid in range(4096))


def _connect(server):
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def _recv_exact(sock, size):
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return bytes(data)


def _messages(sock):
    """Every AS_MSG of a reply stream, up to LAST or a lone error reply."""
    out = []
    while True:
        header = _recv_exact(sock, 8)
        _, _, size = msg.parse_proto_header(header)
        body = _recv_exact(sock, size)
        position = 0
        while position < len(body):
            message, position = msg.decode_message(body, position)
            out.append(message)
        last = out[-1]
        if last.info3 & msg.INFO3_LAST or (
            last.result_code and not last.info3 & msg.INFO3_PARTITION_DONE
        ):
            return out


def _query(server, fields, *, info1=msg.INFO1_READ, info3=msg.INFO3_PARTITION_DONE):
    with _connect(server) as sock:
        sock.sendall(msg.encode_message(info1=info1, info3=info3, fields=fields))
        return _messages(sock)


def _info(server, command):
    with _connect(server) as sock:
        sock.sendall(info.encode_request(command))
        header = _recv_exact(sock, 8)
        body = _recv_exact(sock, msg.parse_proto_header(header)[2])
    return info.parse_reply(body)[command]


def _scan_fields(set_name, pids=ALL_PIDS):
    return [
        (msg.FIELD_NAMESPACE, b"test"),
        (msg.FIELD_SET, set_name.encode()),
        (msg.FIELD_PID_ARRAY, pids),
    ]


@pytest.fixture
def records(aerospike_client, aerospike_set):
    for i in range(10):
        aerospike_client.put(("test", aerospike_set, i), {"v": i})
    return aerospike_set


# -- the stream ---------------------------------------------------------------------


def test_scan_stream_is_records_then_a_last_trailer(server, records):
    messages = _query(server, _scan_fields(records))
    *rows, last = messages
    assert last.info3 & msg.INFO3_LAST and last.result_code == 0
    assert len(rows) == 10
    row = rows[0]
    assert list(row.fields)[:3] == [
        msg.FIELD_NAMESPACE,
        msg.FIELD_DIGEST,
        msg.FIELD_SET,
    ]
    assert row.fields[msg.FIELD_SET] == records.encode()
    assert row.generation == 1 and row.ops[0].name == "v"


def test_digest_array_resumes_after_the_digest(server, records):
    digests = sorted(compute_digest(records, i) for i in range(10))
    pid = partition_id(digests[0])
    same = sorted(d for d in digests if partition_id(d) == pid)
    fields = [
        (msg.FIELD_NAMESPACE, b"test"),
        (msg.FIELD_SET, records.encode()),
        (msg.FIELD_DIGEST_ARRAY, same[0]),
    ]
    rows = _query(server, fields)[:-1]
    assert [r.fields[msg.FIELD_DIGEST] for r in rows] == same[1:]


def test_max_records_field_stops_the_stream(server, records):
    fields = [*_scan_fields(records), (msg.FIELD_MAX_RECORDS, struct.pack(">Q", 3))]
    rows = _query(server, fields)[:-1]
    assert len(rows) == 3


def test_get_no_bins_sends_metadata_only(server, records):
    info1 = msg.INFO1_READ | msg.INFO1_GET_NO_BINS
    rows = _query(server, _scan_fields(records), info1=info1)[:-1]
    assert all(r.ops == [] and r.info1 & msg.INFO1_GET_NO_BINS for r in rows)


def test_index_query_records_carry_the_bval(server, aerospike_client, records):
    name = f"{records[-40:]}_raw"
    aerospike_client.index_integer_create("test", records, "v", name)
    try:
        index_range = b"\x01\x01v\x01" + struct.pack(">IqIq", 8, 4, 8, 5)
        rows = _query(server, [*_scan_fields(records), (22, index_range)])[:-1]
    finally:
        aerospike_client.index_remove("test", name)
    bvals = sorted(struct.unpack("<q", r.fields[msg.FIELD_BVAL_ARRAY])[0] for r in rows)
    assert bvals == [4, 5]


@pytest.mark.parametrize(
    ("fields", "info3", "code"),
    [
        ([(msg.FIELD_NAMESPACE, b"nosuchns"), (11, b"\0\0")], 4, 20),
        ([(msg.FIELD_NAMESPACE, b"test"), (11, b"\0\0")], 0, 16),
        ([(msg.FIELD_NAMESPACE, b"test")], 4, 16),
        ([(msg.FIELD_NAMESPACE, b"test"), (11, b"\1\0\1\0")], 4, 4),
        ([(msg.FIELD_NAMESPACE, b"test"), (11, b"\0\x10")], 4, 4),
        ([(msg.FIELD_NAMESPACE, b"test"), (11, b"\0\0"), (15, bytes(8))], 4, 4),
        (
            [
                (msg.FIELD_NAMESPACE, b"test"),
                (12, bytes(20)),
                (22, b"\x01\x01v\x01" + struct.pack(">IqIq", 8, 1, 8, 1)),
            ],
            4,
            4,
        ),
        (
            [
                (msg.FIELD_NAMESPACE, b"test"),
                (11, b"\0\0"),
                (22, b"\x01\x01v\x01" + struct.pack(">IqIq", 8, 5, 8, 1)),
            ],
            4,
            4,
        ),
        (
            [
                (msg.FIELD_NAMESPACE, b"test"),
                (11, b"\0\0"),
                (22, b"\x01\x0bunindexed_b\x01" + struct.pack(">IqIq", 8, 1, 8, 1)),
            ],
            4,
            201,
        ),
    ],
    ids=[
        "unknown-namespace",
        "no-partition-done-bit",
        "no-partitions",
        "duplicate-pid",
        "pid-out-of-range",
        "bvals-without-digests",
        "digests-without-bvals",
        "backwards-range",
        "no-index",
    ],
)
def test_refused_queries_get_one_reply_without_last(server, fields, info3, code):
    (reply,) = _query(server, fields, info3=info3)
    assert reply.result_code == code
    assert not reply.info3 & msg.INFO3_LAST


def test_partitions_of_another_node_come_back_as_unavailable():
    with EmbeddedServer(nodes=2) as cluster:
        node = cluster.nodes[0]
        owned = [pid for pid in range(4096) if cluster.cluster.owners[pid][0] is node]
        foreign = next(pid for pid in range(4096) if pid not in owned)
        pids = struct.pack("<HH", owned[0], foreign)
        fields = [(msg.FIELD_NAMESPACE, b"test"), (msg.FIELD_PID_ARRAY, pids)]
        markers = [
            m for m in _query(cluster, fields) if m.info3 & msg.INFO3_PARTITION_DONE
        ]
    assert [(m.generation, m.result_code) for m in markers] == [(foreign, 11)]


def test_a_scan_across_two_nodes_returns_every_record_once():
    with (
        EmbeddedServer(nodes=2) as cluster,
        aerospike_py.client(cluster.client_config()).connect() as client,
    ):
        for i in range(50):
            client.put(("test", "two", i), {"v": i})
        with cluster.recording() as requests:
            records = client.query("test", "two").results()
    assert sorted(r.bins["v"] for r in records) == list(range(50))
    scans = [m for m in requests if msg.FIELD_PID_ARRAY in m.fields]
    assert len(scans) == 2
    pid_counts = [len(m.fields[msg.FIELD_PID_ARRAY]) // 2 for m in scans]
    assert sum(pid_counts) == 4096


def test_client_request_matches_the_documented_bytes(client, server, aerospike_set):
    query = client.query("test", aerospike_set)
    query.select("v")
    query.where(p.between("v", 1, 2))
    with server.recording() as requests, pytest.raises(aerospike_py.IndexNotFound):
        query.results({"max_records": 2, "records_per_second": 100})
    (request,) = requests
    assert (request.info1, request.info3) == (msg.INFO1_READ, msg.INFO3_PARTITION_DONE)
    assert request.record_ttl == 0xFFFFFFFF
    fields = request.fields
    assert fields[msg.FIELD_INDEX_RANGE] == bytes.fromhex(
        "01017601000000080000000000000001000000080000000000000002"
    )
    assert fields[msg.FIELD_SOCKET_TIMEOUT] == struct.pack(">I", 30000)
    assert fields[msg.FIELD_RECORDS_PER_SECOND] == struct.pack(">I", 100)
    assert fields[msg.FIELD_MAX_RECORDS] == struct.pack(">Q", 2)
    assert len(fields[msg.FIELD_TRID]) == 8
    assert fields[msg.FIELD_PID_ARRAY] == ALL_PIDS
    assert [(op.op_type, op.name) for op in request.ops] == [(msg.OP_READ, "v")]


# -- info commands --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (
            "sindex-create:namespace=test;bin=v;type=numeric",
            "ERROR:4:missing 'indexname'",
        ),
        (
            "sindex-create:indexname=i;bin=v;type=numeric",
            "ERROR:20:missing 'namespace'",
        ),
        (
            "sindex-create:namespace=test;indexname=i;bin=v",
            "ERROR:4:both 'indexdata' and 'type' are missing",
        ),
        (
            "sindex-create:namespace=test;indexname=i;type=numeric;indexdata=v,numeric",
            "ERROR:4:both 'indexdata' and 'type' are specified",
        ),
        (
            "sindex-create:namespace=test;indexname=i;bin=v;type=float",
            "ERROR:4:bad 'type' - must be one of 'numeric', 'string', 'blob', "
            "'geo2dsphere'",
        ),
        (
            "sindex-create:namespace=test;indexname=i;bin=v;type=numeric;indextype=set2",
            "ERROR:4:bad 'indextype' - must be one of 'default', 'list', 'mapkeys', "
            "'mapvalues'",
        ),
        (
            "sindex-create:ns=test;indexname=i;indexdata=v",
            "ERROR:4:'indexdata' missing bin type",
        ),
        (
            "sindex-create:ns=test;indexname=i;indextype=mapkeys;indexdata=m,geo2dsphere",
            "ERROR:4:bad 'indexdata' bin type for 'indextype' 'mapkeys' - must be one "
            "of 'numeric', 'string', 'blob'",
        ),
        (
            "sindex-create:namespace=test;indexname=i;bin=v;type=numeric;context=!!",
            "ERROR:4:'context' invalid base64",
        ),
        (
            f"sindex-create:namespace=test;indexname={'i' * 64};bin=v;type=numeric",
            "ERROR:4:'indexname' value too long",
        ),
        ("sindex-stat:namespace=test;indexname=nope", "ERROR:201:no index"),
        (
            "sindex-exists:namespace=nons;indexname=i",
            "ERROR:20:namespace not found on node",
        ),
        ("sindex-exists:namespace=test;indexname=nope", "false"),
        ("sindex-delete:namespace=test;indexname=nope", "ok"),
        ("truncate-namespace:namespace=test;set=x", "ERROR:4:unexpected set name"),
        ("truncate:namespace=test", "ERROR:4:missing 'set'"),
        ("truncate:set=x", "ERROR:20:missing 'namespace'"),
        ("truncate:namespace=test;set=x;lut=0", "ERROR:4:would truncate to 0"),
        (
            "truncate:namespace=test;set=x;lut=99999999999999999999",
            "ERROR:4:would truncate in the future",
        ),
    ],
)
def test_info_commands_answer_like_the_server(server, command, reply):
    assert _info(server, command) == reply


def test_sindex_create_both_syntaxes_list_stat_and_delete(server, aerospike_set):
    name = f"{aerospike_set[-40:]}_i"
    legacy = f"sindex-create:ns=test;set={aerospike_set};indexname={name};"
    assert _info(server, legacy + "indextype=LIST;indexdata=l,STRING") == "ok"
    new = f"sindex-create:namespace=test;set={aerospike_set};indexname={name};"
    assert _info(server, new + "indextype=list;bin=l;type=string") == "ok"
    assert _info(server, new + "bin=l;type=string").startswith("ERROR:200:")
    listed = _info(server, "sindex-list:namespace=test").split(";")
    assert (
        f"ns=test:indexname={name}:set={aerospike_set}:bin=l:type=string"
        ":indextype=list:context=null:exp=null:state=RW"
    ) in listed
    stat = _info(server, f"sindex-stat:namespace=test;indexname={name}")
    assert "load_pct=100" in stat.split(";")
    assert _info(server, f"sindex/test/{name}") == stat
    assert _info(server, f"sindex-exists:namespace=test;indexname={name}") == "true"
    assert _info(server, f"sindex-delete:namespace=test;indexname={name}") == "ok"
    assert _info(server, f"sindex-exists:namespace=test;indexname={name}") == "false"


def test_same_definition_under_a_new_name_renames_the_index(server, aerospike_set):
    old, new = f"{aerospike_set[-40:]}_old", f"{aerospike_set[-40:]}_new"
    base = f"sindex-create:namespace=test;set={aerospike_set};bin=v;type=numeric"
    assert _info(server, f"{base};indexname={old}") == "ok"
    assert _info(server, f"{base};indexname={new}") == "ok"
    assert _info(server, f"sindex-exists:namespace=test;indexname={old}") == "false"
    assert _info(server, f"sindex-exists:namespace=test;indexname={new}") == "true"
    _info(server, f"sindex-delete:namespace=test;indexname={new}")


def test_sets_counts_the_indexes_of_a_set(server, aerospike_client, aerospike_set):
    name = f"{aerospike_set[-40:]}_c"
    aerospike_client.index_integer_create("test", aerospike_set, "v", name)
    try:
        entry = _info(server, f"sets/test/{aerospike_set}")
    finally:
        aerospike_client.index_remove("test", name)
    assert ":sindexes=1:" in entry


def test_a_big_namespace_fills_its_index_in_the_background():
    create = "sindex-create:namespace=test;set=big;indexname=b;bin=v;type=numeric"
    with EmbeddedServer() as big:
        node = big.nodes[0]
        with aerospike_py.client(big.client_config()).connect() as client:
            for i in range(20_500):
                client.put(("test", "big", i), {"v": i})
            created, listed = big.run_in_loop(
                lambda: [
                    server_info.answer(node, create),
                    server_info.answer(node, "sindex-list:namespace=test"),
                ]
            )
            client.index_integer_create("test", "big", "v", "b")  # waits for it
            stat = client.info_random_node("sindex-stat:namespace=test;indexname=b")
            query = client.query("test", "big")
            query.where(p.between("v", 100, 199))
            count = len(query.results())
    assert created == "ok" and listed.endswith("state=WO")
    assert "entries=20500;" in stat and "load_pct=100;" in stat
    assert count == 100


@pytest.mark.parametrize("with_index", [False, True], ids=["scan", "index-query"])
def test_max_records_over_unbalanced_nodes_takes_more_rounds(with_index):
    """Node A holds most records: its share of max_records runs out while
    node B has too few, so a second round resumes A after its last record
    (DIGEST_ARRAY, with BVAL_ARRAY for the index query)."""
    with (
        EmbeddedServer(nodes=2) as cluster,
        aerospike_py.client(cluster.client_config()).connect() as client,
    ):
        node_a = cluster.nodes[0]
        counts = {True: 0, False: 0}
        key = 0
        while counts[True] < 100 or counts[False] < 5:
            pid = partition_id(compute_digest("unbalanced", key))
            on_a = cluster.cluster.owners[pid][0] is node_a
            if counts[on_a] < (100 if on_a else 5):
                client.put(("test", "unbalanced", key), {"v": key})
                counts[on_a] += 1
            key += 1
        query = client.query("test", "unbalanced")
        if with_index:
            client.index_integer_create("test", "unbalanced", "v", "unbalanced_v")
            query.where(p.between("v", 0, key))
        with cluster.recording() as requests:
            records = query.results({"max_records": 60})
    digests = [r.key.digest for r in records]
    assert len(digests) == len(set(digests)) == 60
    resumed = [m for m in requests if msg.FIELD_DIGEST_ARRAY in m.fields]
    assert resumed, "a second round resumes node A's partitions"
    assert (msg.FIELD_BVAL_ARRAY in resumed[0].fields) is with_index
