"""Privileges: what each role lets a user read, write and administer."""

from __future__ import annotations

import pytest

from aerospike_py import operations as op
from aerospike_py.exception import AerospikeError, RoleViolationError

ROWS = ("test", "rows")
OTHER = ("test", "other")


def test_read_only_user_cannot_write_and_the_record_stays(users):
    writer = users.client_with({"code": "read-write", "ns": "test"})
    reader = users.client_with({"code": "read", "ns": "test"})
    key = (*ROWS, "k")
    writer.put(key, {"v": 1})

    with pytest.raises(RoleViolationError) as caught:
        reader.put(key, {"v": 2})
    assert caught.value.code == 81
    with pytest.raises(RoleViolationError):
        reader.remove(key)
    with pytest.raises(RoleViolationError):
        reader.operate(key, [op.increment("v", 5), op.read("v")])

    record = reader.get(key)
    assert record.bins == {"v": 1}
    assert record.meta.gen == 1


def test_role_scoped_to_one_set_cannot_read_another_set(users):
    writer = users.client_with({"code": "read-write", "ns": "test"})
    scoped = users.client_with({"code": "read", "ns": "test", "set": "rows"})
    writer.put((*ROWS, 1), {"v": "mine"})
    writer.put((*OTHER, 1), {"v": "theirs"})

    assert scoped.get((*ROWS, 1)).bins == {"v": "mine"}
    with pytest.raises(RoleViolationError):
        scoped.get((*OTHER, 1))
    with pytest.raises(RoleViolationError):
        scoped.exists((*OTHER, 1))


def test_write_privilege_writes_but_cannot_read(users):
    writer = users.client_with({"code": "write", "ns": "test"})
    key = (*ROWS, "w")
    writer.put(key, {"v": 1})
    writer.increment(key, "v", 1)
    with pytest.raises(RoleViolationError):
        writer.get(key)
    # A write that also reads back needs read as well (thr_tsvc.c).
    with pytest.raises(RoleViolationError):
        writer.operate(key, [op.increment("v", 1), op.read("v")])
    reader = users.client_with({"code": "read", "ns": "test"})
    assert reader.get(key).bins == {"v": 2}


def test_global_privilege_covers_every_namespace_and_set(users):
    client = users.client_with({"code": "read-write"})
    for key in ((*ROWS, "g"), (*OTHER, "g")):
        client.put(key, {"v": key[1]})
        assert client.get(key).bins == {"v": key[1]}


def test_granting_a_role_takes_effect_on_open_connections(users):
    name = users.user()
    client = users.login(name)
    key = (*ROWS, "grant")
    with pytest.raises(RoleViolationError):
        client.put(key, {"v": 1})
    users.admin.admin_grant_roles(name, ["read-write"])
    client.put(key, {"v": 1})
    users.admin.admin_revoke_roles(name, ["read-write"])
    with pytest.raises(RoleViolationError):
        client.get(key)


def test_batch_rows_need_the_privilege_of_their_set(users):
    writer = users.client_with({"code": "read-write", "ns": "test"})
    scoped = users.client_with({"code": "read", "ns": "test", "set": "rows"})
    for key in ((*ROWS, 1), (*ROWS, 2), (*OTHER, 1)):
        writer.put(key, {"k": key[2]})

    allowed = scoped.batch_read([(*ROWS, 1), (*ROWS, 2)])
    assert [r.record.bins for r in allowed.batch_records] == [{"k": 1}, {"k": 2}]
    # As on the real server, a forbidden row is refused alone with 81.
    mixed = scoped.batch_read([(*ROWS, 1), (*OTHER, 1)])
    assert [r.result for r in mixed.batch_records] == [0, 81]
    assert mixed.batch_records[0].record.bins == {"k": 1}
    written = scoped.batch_operate([(*ROWS, 1)], [op.write("k", 9)])
    assert [r.result for r in written.batch_records] == [81]
    assert writer.get((*ROWS, 1)).bins == {"k": 1}


def test_scans_need_read_on_the_scanned_set(users):
    writer = users.client_with({"code": "read-write", "ns": "test"})
    scoped = users.client_with({"code": "read", "ns": "test", "set": "scanned"})
    for i in range(3):
        writer.put(("test", "scanned", i), {"i": i})
        writer.put(("test", "hidden", i), {"i": i})

    records = scoped.query("test", "scanned").results()
    assert sorted(r.bins["i"] for r in records) == [0, 1, 2]
    with pytest.raises(RoleViolationError):
        scoped.query("test", "hidden").results()


def test_truncate_needs_the_truncate_privilege_on_that_set(users):
    writer = users.client_with({"code": "read-write", "ns": "test"})
    truncator = users.client_with(
        {"code": "read", "ns": "test"},
        {"code": "truncate", "ns": "test", "set": "rows"},
    )
    writer.put((*ROWS, "t"), {"v": 1})
    writer.put((*OTHER, "t"), {"v": 1})

    with pytest.raises(RoleViolationError, match="requires permission 'truncate'"):
        writer.truncate("test", "rows")
    with pytest.raises(RoleViolationError):
        truncator.truncate("test", "other")
    truncator.truncate("test", "rows")
    assert not truncator.exists((*ROWS, "t")).meta
    assert truncator.exists((*OTHER, "t")).meta


def test_index_admin_needs_sindex_admin(users):
    writer = users.client_with({"code": "read-write"})
    with pytest.raises(RoleViolationError, match="sindex-admin"):
        writer.index_integer_create("test", "rows", "v", "rows_v")
    indexer = users.client_with({"code": "sindex-admin"})
    indexer.index_integer_create("test", "rows", "v", "rows_v")
    indexer.index_remove("test", "rows_v")


UDF_SOURCE = """
function double(rec, bin)
    return rec[bin] * 2
end
"""


def test_udf_apply_needs_read_write_udf(users, tmp_path):
    pytest.importorskip("lupa")
    module = tmp_path / "secure_udf.lua"
    module.write_text(UDF_SOURCE)
    writer = users.client_with({"code": "read-write", "ns": "test"})
    # udf_put reports every refusal of the server's; the text names the
    # missing permission.
    with pytest.raises(AerospikeError, match="requires permission 'udf-admin'"):
        writer.udf_put(str(module))
    users.client_with({"code": "udf-admin"}).udf_put(str(module))

    key = (*ROWS, "udf")
    writer.put(key, {"v": 21})
    with pytest.raises(RoleViolationError):
        writer.apply(key, "secure_udf", "double", ["v"])
    runner = users.client_with({"code": "read-write-udf", "ns": "test"})
    assert runner.apply(key, "secure_udf", "double", ["v"]) == 42


def test_user_admin_alone_cannot_touch_data(admin):
    # A fresh server's admin user holds only user-admin, as on Enterprise.
    with pytest.raises(RoleViolationError):
        admin.put((*ROWS, "admin"), {"v": 1})
    assert admin.admin_query_user_info("admin")["roles"] == ["user-admin"]


def test_udf_put_without_udf_admin_is_a_role_violation(users, tmp_path):
    scoped = users.client_with({"code": "read-write", "ns": "test"})
    module = tmp_path / "denied.lua"
    module.write_text("function f(rec) return 1 end\n")
    with pytest.raises(RoleViolationError):
        scoped.udf_put(str(module))
