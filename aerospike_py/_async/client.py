"""AsyncClient: the asyncio client. ``Client`` is generated from this file.

Every method checks its arguments, builds a command with the sans-I/O
modules, and runs it through the cluster, which routes it by partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aerospike_py import _command
from aerospike_py._async._backend import Lock
from aerospike_py._async.cluster import Cluster
from aerospike_py._config import ClientSettings, parse_config
from aerospike_py._keys import parse_key
from aerospike_py._ops import bin_value_op, check_bin_name, encode_ops
from aerospike_py._policy import Policy, WriteSettings, write_settings
from aerospike_py.exception import AerospikeError, ClientError, InvalidArgError
from aerospike_py.types import (
    ExistsResult,
    InfoNodeResult,
    OperateOrderedResult,
    Record,
)
from aerospike_py.wire import info as info_codec
from aerospike_py.wire import message as msg

NOT_CONNECTED = "Client is not connected. Call connect() first."


class AsyncClient:
    """An Aerospike client for asyncio code.

    Create it with a ClientConfig dict, then ``await client.connect()`` (or
    use ``async with``, which closes it on exit)::

        async with AsyncClient({"hosts": [("127.0.0.1", 3000)]}) as client:
            await client.connect()
            await client.put(("test", "demo", 1), {"name": "Ada"})
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config
        self._settings: ClientSettings = parse_config(config)
        self._cluster: Cluster | None = None
        self._lifecycle = Lock()

    # -- lifecycle ---------------------------------------------------------------

    async def connect(
        self, username: str | None = None, password: str | None = None
    ) -> AsyncClient:
        """Connect to the cluster; the credentials override the config's."""
        async with self._lifecycle:
            if self._cluster is not None:
                return self
            settings = self._settings.with_credentials(username, password)
            cluster = Cluster(settings)
            try:
                await cluster.connect()
            except BaseException:
                await cluster.close()
                raise
            self._settings = settings
            self._cluster = cluster
        return self

    def is_connected(self) -> bool:
        """True between a successful connect() and close()."""
        return self._cluster is not None

    async def close(self) -> None:
        """Stop tending and close every connection; safe to call twice."""
        async with self._lifecycle:
            cluster, self._cluster = self._cluster, None
            if cluster is not None:
                await cluster.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _connected(self) -> Cluster:
        cluster = self._cluster
        if cluster is None:
            raise ClientError(NOT_CONNECTED)
        return cluster

    def _policy(self, section: str, policy: Mapping[str, Any] | None) -> Policy:
        return self._settings.policies.get(section, policy)

    def _write(
        self,
        section: str,
        meta: Mapping[str, Any] | None,
        policy: Mapping[str, Any] | None,
    ) -> WriteSettings:
        return write_settings(self._policy(section, policy), meta, policy)

    # -- cluster -----------------------------------------------------------------

    async def ping(self) -> bool:
        """True when a node answers; never raises."""
        cluster = self._cluster
        if cluster is None:
            return False
        try:
            node = cluster.random_node()
            await cluster.info(node, "build", self._settings.connect_timeout)
        except AerospikeError:
            return False
        return True

    def get_node_names(self) -> list[str]:
        """Names of the cluster's nodes."""
        return [node.name for node in self._connected().nodes]

    def get_stats(self) -> dict[str, Any]:
        """Cluster statistics: nodes, partitions, connections, commands."""
        return self._connected().stats()

    async def info_all(
        self, command: str, policy: Mapping[str, Any] | None = None
    ) -> list[InfoNodeResult]:
        """Run an info command on every node."""
        cluster = self._connected()
        timeout = self._policy("info", policy).timeout / 1000 or None
        results = []
        for node in list(cluster.nodes):
            try:
                value = await cluster.info(node, command, timeout)
            except AerospikeError as exc:
                results.append(InfoNodeResult(node.name, exc.code, str(exc)))
                continue
            error = info_codec.parse_value_error(value)
            results.append(InfoNodeResult(node.name, error[0] if error else 0, value))
        return results

    async def info_random_node(
        self, command: str, policy: Mapping[str, Any] | None = None
    ) -> str:
        """Run an info command on one node and return its answer."""
        cluster = self._connected()
        timeout = self._policy("info", policy).timeout / 1000 or None
        return await cluster.info(cluster.random_node(), command, timeout)

    # -- single-record reads -------------------------------------------------------

    async def get(self, key: Any, policy: Mapping[str, Any] | None = None) -> Record:
        """Read every bin of a record; RecordNotFound if there is none."""
        command = _command.read(parse_key(key), self._policy("read", policy))
        result: Record = await self._connected().execute(command)
        return result

    async def select(
        self, key: Any, bins: list[str], policy: Mapping[str, Any] | None = None
    ) -> Record:
        """Read the named bins of a record."""
        if isinstance(bins, str) or not isinstance(bins, (list, tuple)):
            raise InvalidArgError(f"bins must be a list of bin names, not {bins!r:.60}")
        command = _command.read(
            parse_key(key), self._policy("read", policy), list(bins)
        )
        result: Record = await self._connected().execute(command)
        return result

    async def exists(
        self, key: Any, policy: Mapping[str, Any] | None = None
    ) -> ExistsResult:
        """Read a record's metadata; ``meta`` is None when it does not exist."""
        command = _command.read(
            parse_key(key), self._policy("read", policy), exists=True
        )
        result: ExistsResult = await self._connected().execute(command)
        return result

    # -- single-record writes ------------------------------------------------------

    async def put(
        self,
        key: Any,
        bins: Mapping[str, Any],
        meta: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Write bins to a record (a None value deletes that bin)."""
        command = _command.put(parse_key(key), bins, self._write("write", meta, policy))
        await self._connected().execute(command)

    async def remove(
        self,
        key: Any,
        meta: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Delete a record; ``meta={"gen": n}`` deletes only at generation n."""
        command = _command.remove(parse_key(key), self._write("remove", meta, policy))
        await self._connected().execute(command)

    async def touch(
        self,
        key: Any,
        val: int = 0,
        meta: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Reset a record's TTL (``val`` seconds when > 0) and bump its generation."""
        if isinstance(val, bool) or not isinstance(val, int) or val < 0:
            raise InvalidArgError(
                f"touch val must be a TTL in seconds >= 0, not {val!r}"
            )
        if val > 0:
            meta = {**(meta or {}), "ttl": val}
        touch = msg.Op(msg.OP_TOUCH, 0, "", b"")
        command = _command.single_op(
            parse_key(key), touch, self._write("write", meta, policy)
        )
        await self._connected().execute(command)

    async def append(
        self,
        key: Any,
        bin: str,
        val: Any,
        meta: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Append a str (or bytes) to a bin."""
        await self._concat(msg.OP_APPEND, key, bin, val, meta, policy)

    async def prepend(
        self,
        key: Any,
        bin: str,
        val: Any,
        meta: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Prepend a str (or bytes) to a bin."""
        await self._concat(msg.OP_PREPEND, key, bin, val, meta, policy)

    async def _concat(
        self,
        op_type: int,
        key: Any,
        bin: str,
        val: Any,
        meta: Mapping[str, Any] | None,
        policy: Mapping[str, Any] | None,
    ) -> None:
        key_info = parse_key(key)
        name = check_bin_name(bin)
        if not isinstance(val, (str, bytes, bytearray)):
            raise InvalidArgError(
                f"append/prepend to bin {name!r} needs a str or bytes, not "
                f"{type(val).__name__}"
            )
        op = bin_value_op(op_type, name, val)
        command = _command.single_op(key_info, op, self._write("write", meta, policy))
        await self._connected().execute(command)

    async def increment(
        self,
        key: Any,
        bin: str,
        offset: int | float,
        meta: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Add ``offset`` to an integer or float bin (created when missing)."""
        key_info = parse_key(key)
        name = check_bin_name(bin)
        if isinstance(offset, bool) or not isinstance(offset, (int, float)):
            raise InvalidArgError(
                f"increment of bin {name!r} needs an int or float offset, not "
                f"{type(offset).__name__} ({offset!r:.40})"
            )
        op = bin_value_op(msg.OP_INCR, name, offset)
        command = _command.single_op(key_info, op, self._write("write", meta, policy))
        await self._connected().execute(command)

    async def remove_bin(
        self,
        key: Any,
        bin_names: list[str],
        meta: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Delete the named bins of a record."""
        command = _command.remove_bins(
            parse_key(key), bin_names, self._write("write", meta, policy)
        )
        await self._connected().execute(command)

    async def operate(
        self,
        key: Any,
        ops: list[dict[str, Any]],
        meta: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> Record:
        """Run operations on one record atomically; return their results.

        A bin that several operations return maps to the list of results.
        """
        command = _command.operate(
            parse_key(key),
            encode_ops(ops),
            self._write("operate", meta, policy),
            ordered=False,
        )
        result: Record = await self._connected().execute(command)
        return result

    async def operate_ordered(
        self,
        key: Any,
        ops: list[dict[str, Any]],
        meta: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> OperateOrderedResult:
        """Like operate(), with one ``(bin, value)`` per result, in op order."""
        command = _command.operate(
            parse_key(key),
            encode_ops(ops),
            self._write("operate", meta, policy),
            ordered=True,
        )
        result: OperateOrderedResult = await self._connected().execute(command)
        return result
