"""AsyncClient: the asyncio client. ``Client`` is generated from this file.

Every method checks its arguments, builds a command with the sans-I/O
modules, and runs it through the cluster, which routes it by partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aerospike_py import _batch, _command, _query, _security, _udf, numpy_batch
from aerospike_py import _constants as C
from aerospike_py._async import auth
from aerospike_py._async import batch as batch_io
from aerospike_py._async._backend import Lock, monotonic, sleep
from aerospike_py._async.cluster import Cluster
from aerospike_py._async.node import Node
from aerospike_py._async.query import AsyncQuery
from aerospike_py._config import ClientSettings, parse_config
from aerospike_py._keys import parse_key
from aerospike_py._ops import bin_value_op, check_bin_name, encode_ops
from aerospike_py._policy import Policy, WriteSettings, write_settings
from aerospike_py.exception import (
    AerospikeError,
    AerospikeTimeoutError,
    ClientError,
    ClusterError,
    InvalidArgError,
    from_result_code,
)
from aerospike_py.types import (
    BatchRecords,
    BatchWriteResult,
    ExistsResult,
    InfoNodeResult,
    OperateOrderedResult,
    Record,
    RoleInfo,
    UserInfo,
)
from aerospike_py.wire import admin
from aerospike_py.wire import info as info_codec
from aerospike_py.wire import message as msg
from aerospike_py.wire.packer import utf8

NOT_CONNECTED = "Client is not connected. Call connect() first."
OTHER_LOOP = (
    "this client was connected in another event loop and its sockets belong "
    "to that loop (each asyncio.run() starts a new one): connect one client "
    "per event loop, or close() it and connect() again in this loop"
)


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
                if self._cluster.belongs_here():
                    return self
                if self._cluster.loop_is_open():
                    raise ClientError(OTHER_LOOP)
                # Its loop has ended: start afresh in this one.
                self._cluster.abandon()
                self._cluster = None
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
                if cluster.belongs_here():
                    await cluster.close()
                else:
                    cluster.abandon()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _connected(self) -> Cluster:
        cluster = self._cluster
        if cluster is None:
            raise ClientError(NOT_CONNECTED)
        if not cluster.belongs_here():
            raise ClientError(OTHER_LOOP)
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
        if cluster is None or not cluster.belongs_here():
            return False  # no sockets this event loop may use
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
        _check_info_command(command)
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
        _check_info_command(command)
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

    # -- query and indexes ------------------------------------------------------

    def query(self, namespace: str, set_name: str | None) -> AsyncQuery:
        """Build a query of a set (None or "" for the whole namespace).

        Without ``where()`` it reads every record: it is a scan.
        """
        self._connected()
        return AsyncQuery(
            self._connected,
            lambda policy: self._policy("query", policy),
            namespace,
            set_name,
        )

    async def index_integer_create(
        self,
        namespace: str,
        set_name: str | None,
        bin_name: str,
        index_name: str,
        policy: Mapping[str, Any] | None = None,
        *,
        index_type: int = C.INDEX_TYPE_DEFAULT,
        ctx: list[Any] | None = None,
    ) -> None:
        """Create a numeric index on a bin; return once it is ready.

        ``index_type`` indexes the items of a list, or a map's keys or
        values; ``ctx`` a value nested in the bin. IndexFoundError when the
        name is taken by another definition.
        """
        spec = _query.index_spec(
            namespace, set_name, bin_name, index_name, C.INDEX_NUMERIC, index_type, ctx
        )
        await self._create_index(spec, policy)

    async def index_string_create(
        self,
        namespace: str,
        set_name: str | None,
        bin_name: str,
        index_name: str,
        policy: Mapping[str, Any] | None = None,
        *,
        index_type: int = C.INDEX_TYPE_DEFAULT,
        ctx: list[Any] | None = None,
    ) -> None:
        """Create a string index on a bin; return once it is ready."""
        spec = _query.index_spec(
            namespace, set_name, bin_name, index_name, C.INDEX_STRING, index_type, ctx
        )
        await self._create_index(spec, policy)

    async def index_blob_create(
        self,
        namespace: str,
        set_name: str | None,
        bin_name: str,
        index_name: str,
        policy: Mapping[str, Any] | None = None,
        *,
        index_type: int = C.INDEX_TYPE_DEFAULT,
        ctx: list[Any] | None = None,
    ) -> None:
        """Create a bytes (blob) index on a bin; return once it is ready."""
        spec = _query.index_spec(
            namespace, set_name, bin_name, index_name, C.INDEX_BLOB, index_type, ctx
        )
        await self._create_index(spec, policy)

    async def index_geo2dsphere_create(
        self,
        namespace: str,
        set_name: str | None,
        bin_name: str,
        index_name: str,
        policy: Mapping[str, Any] | None = None,
        *,
        index_type: int = C.INDEX_TYPE_DEFAULT,
        ctx: list[Any] | None = None,
    ) -> None:
        """Create a GeoJSON index on a bin; return once it is ready."""
        spec = _query.index_spec(
            namespace,
            set_name,
            bin_name,
            index_name,
            C.INDEX_GEO2DSPHERE,
            index_type,
            ctx,
        )
        await self._create_index(spec, policy)

    async def index_list_create(
        self,
        namespace: str,
        set_name: str | None,
        bin_name: str,
        index_datatype: int,
        index_name: str,
        policy: Mapping[str, Any] | None = None,
        ctx: list[Any] | None = None,
    ) -> None:
        """Index the items of a list bin (``index_datatype``: INDEX_NUMERIC,
        INDEX_STRING, INDEX_BLOB or INDEX_GEO2DSPHERE)."""
        spec = _query.index_spec(
            namespace,
            set_name,
            bin_name,
            index_name,
            index_datatype,
            C.INDEX_TYPE_LIST,
            ctx,
        )
        await self._create_index(spec, policy)

    async def index_map_keys_create(
        self,
        namespace: str,
        set_name: str | None,
        bin_name: str,
        index_datatype: int,
        index_name: str,
        policy: Mapping[str, Any] | None = None,
        ctx: list[Any] | None = None,
    ) -> None:
        """Index the keys of a map bin."""
        spec = _query.index_spec(
            namespace,
            set_name,
            bin_name,
            index_name,
            index_datatype,
            C.INDEX_TYPE_MAPKEYS,
            ctx,
        )
        await self._create_index(spec, policy)

    async def index_map_values_create(
        self,
        namespace: str,
        set_name: str | None,
        bin_name: str,
        index_datatype: int,
        index_name: str,
        policy: Mapping[str, Any] | None = None,
        ctx: list[Any] | None = None,
    ) -> None:
        """Index the values of a map bin."""
        spec = _query.index_spec(
            namespace,
            set_name,
            bin_name,
            index_name,
            index_datatype,
            C.INDEX_TYPE_MAPVALUES,
            ctx,
        )
        await self._create_index(spec, policy)

    async def index_remove(
        self, namespace: str, index_name: str, policy: Mapping[str, Any] | None = None
    ) -> None:
        """Drop a secondary index; IndexNotFound when there is none."""
        exists = _query.index_command("exists", namespace, index_name)
        delete = _query.index_command("delete", namespace, index_name)
        timeout = self._info_timeout(policy)
        nodes = self._info_nodes()
        # 8.1 answers ok for a missing index: ask first, so the caller hears.
        if await self._index_exists(nodes[0], exists, timeout) is False:
            raise from_result_code(
                201, f"no index {index_name!r} in namespace {namespace!r}"
            )
        for node in nodes:
            await self._node_info(node, delete, timeout)
        for node in nodes:
            while await self._index_exists(node, exists, timeout):
                await sleep(0.01)

    async def truncate(
        self,
        namespace: str,
        set_name: str | None,
        nanos: int = 0,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Delete the records of a set (None: of the namespace) last updated
        before ``nanos`` (nanoseconds since 1970; 0 = now)."""
        command = _query.truncate_command(namespace, set_name, nanos)
        timeout = self._info_timeout(policy)
        for node in self._info_nodes():
            await self._node_info(node, command, timeout)

    def _info_timeout(self, policy: Mapping[str, Any] | None) -> float | None:
        return self._policy("info", policy).timeout / 1000 or None

    def _info_nodes(self) -> list[Node]:
        nodes = [node for node in self._connected().nodes if node.active]
        if not nodes:
            raise ClusterError("the client has no cluster node to send to")
        return nodes

    async def _node_info(self, node: Node, command: str, timeout: float | None) -> str:
        """Run an info command; raise the mapped error if the node refuses."""
        value = await self._connected().info(node, command, timeout)
        error = info_codec.parse_value_error(value)
        if error is not None:
            code, message = error
            detail = f"{message} (info {command!r} on node {node.name})"
            raise from_result_code(code, detail, node=node.name)
        return value

    async def _index_exists(
        self, node: Node, command: str, timeout: float | None
    ) -> bool | None:
        """True / False, or None from a server without sindex-exists."""
        value = (await self._connected().info(node, command, timeout)).strip()
        if info_codec.parse_value_error(value) is not None:
            return None
        return value == "true"

    async def _create_index(
        self, spec: _query.IndexSpec, policy: Mapping[str, Any] | None
    ) -> None:
        timeout = self._info_timeout(policy)
        nodes = self._info_nodes()
        for node in nodes:
            build = await self._node_info(node, "build", timeout)
            command = _query.create_command(spec, _query.new_syntax(build))
            await self._node_info(node, command, timeout)
        # A new index reads the existing records first; wait until it has.
        stat = _query.index_command("stat", spec.namespace, spec.index_name)
        for node in nodes:
            pause = 0.005
            while _query.load_pct(await self._node_info(node, stat, timeout)) < 100:
                await sleep(pause)
                pause = min(pause * 2, 0.5)

    # -- batch -----------------------------------------------------------------

    async def _run_batch(self, plan: _batch.BatchPlan) -> None:
        cluster = self._connected()
        if len(plan):
            await batch_io.run(cluster, plan)

    async def batch_read(
        self,
        keys: list[Any],
        bins: list[str] | None = None,
        policy: Mapping[str, Any] | None = None,
        _dtype: Any = None,
    ) -> BatchRecords | numpy_batch.NumpyBatchRecords:
        """Read many records; one BatchRecord per key, in request order.

        ``bins=None`` reads every bin, a list reads those bins, and ``[]``
        only the metadata (a found record then has the bins ``{}``). A key
        that fails does not fail the others: its ``result`` says why. With
        ``_dtype`` (a structured numpy.dtype) the bins come back as arrays.
        """
        plan = _batch.read_plan(keys, bins, self._policy("batch", policy))
        if _dtype is not None:
            numpy_batch.check_dtype(_dtype)
        await self._run_batch(plan)
        result = BatchRecords(plan.records())
        if _dtype is None:
            return result
        converted: numpy_batch.NumpyBatchRecords = result.to_numpy(_dtype)
        return converted

    async def batch_operate(
        self,
        keys: list[Any],
        ops: list[dict[str, Any]],
        policy: Mapping[str, Any] | None = None,
    ) -> list[Record]:
        """Run the same operations on every key; one Record per key.

        A key that failed is ``Record(key, None, None)``; the list's
        ``batch_records`` holds every result code and ``in_doubt`` flag.
        """
        encoded = encode_ops(ops)
        plan = _batch.operate_plan(keys, encoded, self._policy("batch", policy))
        await self._run_batch(plan)
        return _batch.RecordList(plan.records())

    async def batch_remove(
        self, keys: list[Any], policy: Mapping[str, Any] | None = None
    ) -> list[Record]:
        """Delete many records; one Record per key, in request order.

        A key may come with its own BatchDeleteMeta, as ``(key, meta)``.
        A key that failed (2 when there was no record) is
        ``Record(key, None, None)``; see the list's ``batch_records``.
        """
        plan = _batch.remove_plan(keys, self._policy("batch", policy))
        await self._run_batch(plan)
        return _batch.RecordList(plan.records())

    async def batch_write(
        self,
        records: list[Any],
        policy: Mapping[str, Any] | None = None,
        retry: int = 0,
    ) -> BatchWriteResult:
        """Write different bins to many records: ``(key, bins[, meta])`` each.

        A record's WriteMeta wins over the policy. ``retry=N`` makes up to
        N more attempts for records that failed with a timeout (9), key
        busy (14) or device overload (18), or on the way to their node;
        ``result.retry`` says how that went.
        """
        schedule = _batch.RetrySchedule(retry)
        plan = _batch.write_plan(records, self._policy("batch", policy))
        cluster = self._connected()
        if not len(plan):
            return BatchWriteResult([], schedule.info(0, False, 0))
        info = await batch_io.run_with_retry(cluster, plan, schedule)
        return BatchWriteResult(plan.records(), info)

    async def batch_write_numpy(
        self,
        data: Any,
        namespace: str,
        set_name: str,
        _dtype: Any,
        key_field: str = "_key",
        policy: Mapping[str, Any] | None = None,
        retry: int = 0,
    ) -> BatchWriteResult:
        """Write one record per row of a structured numpy array.

        The ``key_field`` column holds the user keys; every other field
        whose name does not start with ``_`` is a bin.
        """
        records = numpy_batch.records_from_array(
            data, namespace, set_name, _dtype, key_field
        )
        return await self.batch_write(records, policy, retry)

    # -- UDF -------------------------------------------------------------------

    async def udf_put(
        self,
        filename: str,
        udf_type: int = C.UDF_TYPE_LUA,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Register a Lua file on every node; wait until each one lists it.

        The file registers under its base name, and ``apply`` calls its
        functions by that name without ``.lua``. A file that does not
        compile raises UDFError; its ``file``, ``line`` and ``lua_message``
        say what Lua found.
        """
        language = _udf.check_language(udf_type)
        name, content = _udf.read_file(filename)
        command = _udf.put_command(name, content, language)
        timeout = self._info_timeout(policy)
        nodes = self._info_nodes()
        for node in nodes:
            reply = await self._connected().info(node, command, timeout)
            _udf.check_put_reply(reply, name, node.name)
        await self._await_listing(nodes, name, True, timeout)

    async def udf_remove(
        self, module: str, policy: Mapping[str, Any] | None = None
    ) -> None:
        """Unregister a UDF file (``.lua`` is added to a bare module name)."""
        name = _udf.file_name(module)
        command = _udf.remove_command(name)
        timeout = self._info_timeout(policy)
        nodes = self._info_nodes()
        for node in nodes:
            reply = await self._connected().info(node, command, timeout)
            _udf.check_remove_reply(reply, name, node.name)
        await self._await_listing(nodes, name, False, timeout)

    async def batch_apply(
        self,
        keys: list[Any],
        module: str,
        function: str,
        args: list[Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> BatchWriteResult:
        """Call a UDF on many records; one BatchRecord per key, in order.

        A key may come as ``(key, BatchUDFMeta)`` to use another module,
        function, args, TTL or key policy. The return value of a call is in
        ``record.bins["SUCCESS"]``; a Lua error gives the row result 100
        and the message in ``record.bins["FAILURE"]``.
        """
        batch_policy = self._policy("batch", policy)
        plan = _batch.udf_plan(keys, module, function, args, batch_policy)
        await self._run_batch(plan)
        return BatchWriteResult(plan.records())

    async def udf_list(
        self, policy: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The registered UDF files: dicts of ``name``, ``hash``, ``type``."""
        node = self._info_nodes()[0]
        reply = await self._connected().info(
            node, _udf.LIST_COMMAND, self._info_timeout(policy)
        )
        return _udf.parse_list(reply)

    async def udf_get(
        self,
        module: str,
        language: int = C.UDF_TYPE_LUA,
        policy: Mapping[str, Any] | None = None,
    ) -> str:
        """The source text of a registered UDF file."""
        _udf.check_language(language)
        name = _udf.file_name(module)
        node = self._info_nodes()[0]
        reply = await self._connected().info(
            node, _udf.get_command(name), self._info_timeout(policy)
        )
        return _udf.parse_get(reply, name, node.name)

    async def apply(
        self,
        key: Any,
        module: str,
        function: str,
        args: list[Any] | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call ``function(record, *args)`` of a UDF module on one record.

        Return what the function returned. A Lua error raises UDFError
        with Lua's message (``file:line: text``).
        """
        command = _command.apply(
            parse_key(key), module, function, args, self._write("apply", None, policy)
        )
        return await self._connected().execute(command)

    async def _await_listing(
        self, nodes: list[Node], name: str, present: bool, timeout: float | None
    ) -> None:
        """Poll ``udf-list`` until every node shows (or no longer shows) a
        file, as the official clients' registration tasks do."""
        deadline = monotonic() + (timeout or _udf.LISTING_WAIT_SECONDS)
        for node in nodes:
            pause = 0.005
            while True:
                reply = await self._connected().info(node, _udf.LIST_COMMAND, timeout)
                if _udf.is_listed(reply, name) == present:
                    break
                if monotonic() >= deadline:
                    state = "list" if present else "drop"
                    raise AerospikeTimeoutError(
                        f"node {node.name} did not {state} UDF file {name!r} in "
                        f"time (AdminPolicy timeout)",
                        node=node.name,
                    )
                await sleep(pause)
                pause = min(pause * 2, 0.2)

    # -- users and roles ---------------------------------------------------------

    async def _admin(
        self,
        command: int,
        fields: list[tuple[int, bytes]],
        policy: Mapping[str, Any] | None,
        action: str,
        *,
        query: bool = False,
    ) -> list[admin.AdminMessage]:
        """Run an admin command on one node: users and roles are the
        cluster's, so any node answers for all."""
        cluster = self._connected()
        timeout = self._policy("admin", policy).timeout / 1000 or None
        request = admin.encode_request(command, fields)
        node = cluster.random_node()
        return await auth.execute(node, request, timeout, action, query=query)

    def _password_changed(self, username: str, password: str) -> None:
        """Log in with the new password from now on, if it is ours."""
        login = self._connected().login
        if login is not None and login.user == username:
            login.change_password(password)
            self._settings = self._settings.with_credentials(None, password)

    async def admin_create_user(
        self,
        username: str,
        password: str,
        roles: list[str],
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Create a user with a password and roles."""
        fields = [
            (admin.USER, _security.name(username, "username")),
            (admin.PASSWORD, _security.password_hash(password)),
            (admin.ROLES, _security.roles(roles, allow_empty=True)),
        ]
        action = f"create user {username!r}"
        await self._admin(admin.CREATE_USER, fields, policy, action)

    async def admin_drop_user(
        self, username: str, policy: Mapping[str, Any] | None = None
    ) -> None:
        """Delete a user; its sessions end at once."""
        fields = [(admin.USER, _security.name(username, "username"))]
        await self._admin(admin.DROP_USER, fields, policy, f"drop user {username!r}")

    async def admin_change_password(
        self, username: str, password: str, policy: Mapping[str, Any] | None = None
    ) -> None:
        """Change a password: one's own (proved by the client's current one),
        or anyone's with user-admin. The client logs in with the new
        password afterwards if it changed its own."""
        fields = [(admin.USER, _security.name(username, "username"))]
        login = self._connected().login
        if login is not None and login.credential:
            fields.append((admin.OLD_PASSWORD, login.credential))
        fields.append((admin.PASSWORD, _security.password_hash(password)))
        action = f"change the password of {username!r}"
        await self._admin(admin.CHANGE_PASSWORD, fields, policy, action)
        self._password_changed(username, password)

    async def admin_set_password(
        self, username: str, password: str, policy: Mapping[str, Any] | None = None
    ) -> None:
        """Reset a user's password without the old one (needs user-admin)."""
        fields = [
            (admin.USER, _security.name(username, "username")),
            (admin.PASSWORD, _security.password_hash(password)),
        ]
        action = f"set the password of {username!r}"
        await self._admin(admin.SET_PASSWORD, fields, policy, action)
        self._password_changed(username, password)

    async def admin_grant_roles(
        self,
        username: str,
        roles: list[str],
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Add roles to a user."""
        fields = [
            (admin.USER, _security.name(username, "username")),
            (admin.ROLES, _security.roles(roles)),
        ]
        action = f"grant roles to {username!r}"
        await self._admin(admin.GRANT_ROLES, fields, policy, action)

    async def admin_revoke_roles(
        self,
        username: str,
        roles: list[str],
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Take roles away from a user."""
        fields = [
            (admin.USER, _security.name(username, "username")),
            (admin.ROLES, _security.roles(roles)),
        ]
        action = f"revoke roles from {username!r}"
        await self._admin(admin.REVOKE_ROLES, fields, policy, action)

    async def admin_query_user_info(
        self, username: str, policy: Mapping[str, Any] | None = None
    ) -> UserInfo:
        """A user's roles and connections in use."""
        fields = [(admin.USER, _security.name(username, "username"))]
        action = f"query user {username!r}"
        blocks = await self._admin(
            admin.QUERY_USERS, fields, policy, action, query=True
        )
        if not blocks:
            raise from_result_code(admin.INVALID_USER, action)
        return _security.user_info(blocks[0])

    async def admin_query_users_info(
        self, policy: Mapping[str, Any] | None = None
    ) -> list[UserInfo]:
        """Every user, with its roles and connections in use."""
        blocks = await self._admin(
            admin.QUERY_USERS, [], policy, "query users", query=True
        )
        return [_security.user_info(block) for block in blocks]

    async def admin_create_role(
        self,
        role: str,
        privileges: list[Any],
        policy: Mapping[str, Any] | None = None,
        whitelist: list[str] | None = None,
        read_quota: int = 0,
        write_quota: int = 0,
    ) -> None:
        """Create a role: privileges, an allowlist of client addresses, and
        read/write quotas in records per second (0 = none)."""
        fields = [(admin.ROLE, _security.name(role, "role"))]
        encoded = _security.privileges(privileges, allow_empty=True)
        if privileges:
            fields.append((admin.PRIVILEGES, encoded))
        addresses = _security.allowlist(whitelist)
        if addresses:
            fields.append((admin.WHITELIST, admin.encode_whitelist(addresses)))
        for field_id, value, what in (
            (admin.READ_QUOTA, read_quota, "read_quota"),
            (admin.WRITE_QUOTA, write_quota, "write_quota"),
        ):
            if _security.quota(value, what):
                fields.append((field_id, admin.encode_u32(value)))
        await self._admin(admin.CREATE_ROLE, fields, policy, f"create role {role!r}")

    async def admin_drop_role(
        self, role: str, policy: Mapping[str, Any] | None = None
    ) -> None:
        """Delete a role; users holding it lose it."""
        fields = [(admin.ROLE, _security.name(role, "role"))]
        await self._admin(admin.DROP_ROLE, fields, policy, f"drop role {role!r}")

    async def admin_grant_privileges(
        self,
        role: str,
        privileges: list[Any],
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Add privileges to a role."""
        fields = [
            (admin.ROLE, _security.name(role, "role")),
            (admin.PRIVILEGES, _security.privileges(privileges)),
        ]
        action = f"grant privileges to role {role!r}"
        await self._admin(admin.GRANT_PRIVILEGES, fields, policy, action)

    async def admin_revoke_privileges(
        self,
        role: str,
        privileges: list[Any],
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Take privileges away from a role (exact matches of scope)."""
        fields = [
            (admin.ROLE, _security.name(role, "role")),
            (admin.PRIVILEGES, _security.privileges(privileges)),
        ]
        action = f"revoke privileges from role {role!r}"
        await self._admin(admin.REVOKE_PRIVILEGES, fields, policy, action)

    async def admin_query_role(
        self, role: str, policy: Mapping[str, Any] | None = None
    ) -> RoleInfo:
        """A role's privileges, allowlist and quotas."""
        fields = [(admin.ROLE, _security.name(role, "role"))]
        action = f"query role {role!r}"
        blocks = await self._admin(
            admin.QUERY_ROLES, fields, policy, action, query=True
        )
        if not blocks:
            raise from_result_code(admin.INVALID_ROLE, action)
        return _security.role_info(blocks[0])

    async def admin_query_roles(
        self, policy: Mapping[str, Any] | None = None
    ) -> list[RoleInfo]:
        """Every role, the predefined ones included."""
        blocks = await self._admin(
            admin.QUERY_ROLES, [], policy, "query roles", query=True
        )
        return [_security.role_info(block) for block in blocks]

    async def admin_set_whitelist(
        self,
        role: str,
        whitelist: list[str] | None,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Replace a role's allowlist of client addresses ([] clears it)."""
        fields = [(admin.ROLE, _security.name(role, "role"))]
        addresses = _security.allowlist(whitelist)
        if addresses:
            fields.append((admin.WHITELIST, admin.encode_whitelist(addresses)))
        action = f"set the allowlist of role {role!r}"
        await self._admin(admin.SET_WHITELIST, fields, policy, action)

    async def admin_set_quotas(
        self,
        role: str,
        read_quota: int = 0,
        write_quota: int = 0,
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Set a role's read and write quotas in records per second."""
        reads = _security.quota(read_quota, "read_quota")
        writes = _security.quota(write_quota, "write_quota")
        fields = [
            (admin.ROLE, _security.name(role, "role")),
            (admin.READ_QUOTA, admin.encode_u32(reads)),
            (admin.WRITE_QUOTA, admin.encode_u32(writes)),
        ]
        action = f"set the quotas of role {role!r}"
        await self._admin(admin.SET_QUOTAS, fields, policy, action)


def _check_info_command(command: Any) -> None:
    if not isinstance(command, str):
        raise InvalidArgError(f"info command must be a str, not {command!r:.40}")
    utf8(command, "info command")
