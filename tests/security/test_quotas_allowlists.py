"""Role quotas (records per second) and allowlists (client addresses)."""

from __future__ import annotations

import pytest

import aerospike_py
from aerospike_py.exception import (
    AdminError,
    NotAllowlistedError,
    QuotaExceededError,
)
from aerospike_py.server import EmbeddedServer

SET = ("test", "quotas")


def _until_refused(action, limit: int) -> tuple[int, QuotaExceededError | None]:
    """Run ``action`` until the quota refuses it; return how many passed."""
    for done in range(limit):
        try:
            action(done)
        except QuotaExceededError as exc:
            return done, exc
    return limit, None


def test_write_quota_refuses_writes_past_the_limit_with_83(users):
    role = users.role({"code": "read-write", "ns": "test"}, write_quota=5)
    client = users.login(users.user(role))

    done, error = _until_refused(lambda i: client.put((*SET, i), {"i": i}), 40)

    assert error is not None and error.code == 83
    # Five a second: a run that straddles a second may get ten through.
    assert 5 <= done <= 10
    assert client.exists((*SET, done)).meta is None


def test_read_quota_leaves_writes_alone(users):
    role = users.role({"code": "read-write", "ns": "test"}, read_quota=3)
    client = users.login(users.user(role))
    for i in range(10):
        client.put((*SET, i), {"i": i})

    done, error = _until_refused(lambda i: client.get((*SET, i % 10)), 40)
    assert error is not None and 3 <= done <= 6


def test_scan_asking_for_more_than_the_read_quota_is_refused(users):
    role = users.role({"code": "read", "ns": "test"}, read_quota=50)
    client = users.login(users.user(role))
    with pytest.raises(QuotaExceededError):
        client.query(*SET).results({"records_per_second": 500})
    assert client.query(*SET).results({"records_per_second": 50}) == []


def test_quotas_need_enable_quotas_on_the_server(client_factory):
    with EmbeddedServer(security=True) as server:
        admin = client_factory(server.client_config(user="admin", password="admin"))
        with pytest.raises(AdminError) as caught:
            admin.admin_create_role("limited", [{"code": "read"}], read_quota=10)
        assert caught.value.code == 74
        admin.admin_create_role("unlimited", [{"code": "read"}])
        with pytest.raises(AdminError) as caught:
            admin.admin_set_quotas("unlimited", read_quota=10)
        assert caught.value.code == 74


def test_login_from_outside_the_allowlist_is_refused_with_82(users):
    role = users.role({"code": "read"}, whitelist=["10.20.0.0/16", "192.0.2.7"])
    name = users.user(role)
    with pytest.raises(NotAllowlistedError) as caught:
        users.login(name)
    assert caught.value.code == 82

    users.admin.admin_set_whitelist(role, ["10.20.0.0/16", "127.0.0.0/8"])
    assert users.login(name).exists((*SET, "x")).meta is None

    users.admin.admin_set_whitelist(role, ["192.0.2.7"])
    with pytest.raises(NotAllowlistedError):
        users.login(name)
    users.admin.admin_set_whitelist(role, [])  # clears it: any address
    assert users.login(name).is_connected()


def test_malformed_allowlist_entry_is_refused_by_the_server(users):
    role = users.role({"code": "read"})
    with pytest.raises(AdminError) as caught:
        users.admin.admin_set_whitelist(role, ["not-an-address"])
    assert caught.value.code == 73
    with pytest.raises(aerospike_py.InvalidArgError, match="one address"):
        users.admin.admin_set_whitelist(role, ["10.0.0.1,10.0.0.2"])
