"""Scans and secondary-index queries: the ``AsyncQuery`` class (the blocking
twin is generated from the asyncio source by scripts/unasync.py).

A run reads every node concurrently: one reader per node sends the node
its partitions and parses each frame as it arrives, then hands the records
over a bounded channel to the one consumer that delivers them (collecting
them for ``results``, calling the callback for ``foreach``). A reader waits
while the channel holds ``record_queue_size`` records, and an unread socket
makes the node wait in turn, so memory stays flat however many records
stream. Rounds repeat until every partition is read (see
:mod:`aerospike_py._query` for what a round decides).
"""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aerospike_py import _query
from aerospike_py._async._backend import (
    Condition,
    Connection,
    gather,
    monotonic,
    settle,
    sleep,
)
from aerospike_py._async.cluster import Cluster
from aerospike_py._async.node import Node
from aerospike_py._command import MALFORMED, malformed_reply
from aerospike_py._keys import MAX_NAMESPACE, MAX_SET, check_name
from aerospike_py._ops import check_bin_name
from aerospike_py._policy import Policy
from aerospike_py.exception import (
    AerospikeError,
    AerospikeTimeoutError,
    ClusterError,
    ConnectionFailure,
    InvalidArgError,
    from_result_code,
)
from aerospike_py.types import Record
from aerospike_py.wire.message import MSG_AS

log = logging.getLogger("aerospike_py.command")

# Failures on the way to or from a node, after which partitions resume.
_TRANSPORT = (ConnectionFailure, AerospikeTimeoutError)
# Pause before a retry round when the policy sets none.
_RETRY_PAUSE = 0.05

Deliver = Callable[[list[Record]], Awaitable[bool]]


class _End:
    """A reader finished."""


_END = _End()


class _Channel:
    """Batches of records from the node readers to the consumer, bounded.

    ``put`` waits while ``capacity`` records are queued (one batch is
    always let in), and answers False once the consumer has gone.
    """

    def __init__(self, capacity: int) -> None:
        self._items: deque[Any] = deque()
        self._held = 0
        self._capacity = capacity
        self._closed = False
        self._condition = Condition()

    async def put(self, batch: list[Record]) -> bool:
        async with self._condition:
            while self._held >= self._capacity and not self._closed:
                await self._condition.wait()
            if self._closed:
                return False
            self._items.append(batch)
            self._held += len(batch)
            self._condition.notify_all()
            return True

    async def signal(self, item: object) -> None:
        """Queue an end marker or an error; never waits."""
        async with self._condition:
            self._items.append(item)
            self._condition.notify_all()

    async def get(self) -> Any:
        async with self._condition:
            while not self._items:
                await self._condition.wait()
            item = self._items.popleft()
            if isinstance(item, list):
                self._held -= len(item)
            self._condition.notify_all()
            return item

    async def close(self) -> None:
        """The consumer is gone: wake every reader and refuse more batches."""
        async with self._condition:
            self._closed = True
            self._held = 0
            self._items.clear()
            self._condition.notify_all()


class _Run:
    """One execution of a query: rounds of concurrent node reads."""

    def __init__(self, cluster: Cluster, spec: _query.QuerySpec, policy: Policy):
        self.cluster = cluster
        self.spec = spec
        self.policy = policy
        self.tracker: _query.PartitionTracker[Node] = _query.PartitionTracker(
            policy.partition_filter, policy.max_records
        )
        total = policy.total_timeout
        self.deadline = monotonic() + total / 1000 if total else None
        self.stopped = False

    async def execute(self, deliver: Deliver) -> None:
        self._check_namespace()
        failures = 0
        while True:
            tasks = self.tracker.plan(self._owner)
            await self._round(tasks, deliver)
            if self.stopped:
                return
            self.tracker.finish_round(tasks)
            if self.tracker.finished():
                return
            failed = [task.failure for task in tasks if task.failure is not None]
            if not failed and not self.tracker.unavailable:
                continue  # nodes stopped at their share of max_records
            failures += 1
            await self._before_retry(failures, failed)

    def _check_namespace(self) -> None:
        if not self.cluster.nodes:
            raise ClusterError("the client has no cluster node to send to")
        if self.spec.namespace not in self.cluster.table.namespaces:
            raise from_result_code(
                20, f"namespace {self.spec.namespace!r} is not on the cluster"
            )

    def _owner(self, pid: int) -> Node | None:
        owners = self.cluster.table.owners(self.spec.namespace, pid)
        node = owners[0] if owners else None
        return node if node is not None and node.active else None

    async def _before_retry(self, failures: int, failed: list[AerospikeError]) -> None:
        """Give up after max_retries; else wait and re-read the partition
        maps, since a node that failed or did not serve its partitions has
        usually left, or handed them over."""
        policy = self.policy
        expired = self.deadline is not None and monotonic() >= self.deadline
        if failures > policy.max_retries or expired:
            if failed:
                raise failed[-1]
            raise _query.unavailable_error(
                self.tracker.unavailable, self.spec.namespace
            )
        log.debug(
            "query retry %d: %d node(s) failed, %d partition(s) unserved",
            failures,
            len(failed),
            len(self.tracker.unavailable),
        )
        await sleep(policy.sleep_between_retries / 1000 or _RETRY_PAUSE)
        await self.cluster.tend()

    async def _round(
        self, tasks: list[_query.NodeTask[Node]], deliver: Deliver
    ) -> None:
        if not tasks:  # an empty partition filter selects nothing
            return
        width = self.policy.max_concurrent_nodes or len(tasks)
        for start in range(0, len(tasks), width):
            await self._wave(tasks[start : start + width], deliver)
            if self.stopped:
                return

    async def _wave(self, tasks: list[_query.NodeTask[Node]], deliver: Deliver) -> None:
        channel = _Channel(self.policy.record_queue_size)
        consume = functools.partial(self._consume, channel, len(tasks), deliver)
        readers = [functools.partial(self._read_node, task, channel) for task in tasks]
        await gather([consume, *readers])

    # -- the consumer ------------------------------------------------------------

    async def _consume(self, channel: _Channel, readers: int, deliver: Deliver) -> None:
        ended = 0
        try:
            while ended < readers:
                item = await channel.get()
                if item is _END:
                    ended += 1
                elif isinstance(item, AerospikeError):
                    raise item
                elif not await self._deliver(item, deliver):
                    self.stopped = True
                    return
        finally:
            await channel.close()

    async def _deliver(self, batch: list[Record], deliver: Deliver) -> bool:
        tracker = self.tracker
        remaining = tracker.remaining()
        if remaining is not None:
            batch = batch[:remaining]
        tracker.delivered += len(batch)
        if batch and not await deliver(batch):
            return False
        return not (tracker.max_records and tracker.finished())

    # -- the readers ---------------------------------------------------------------

    async def _read_node(self, task: _query.NodeTask[Node], channel: _Channel) -> None:
        try:
            await self._stream_node(task, channel)
        except AerospikeError as exc:
            await channel.signal(exc)
        finally:
            await channel.signal(_END)

    async def _stream_node(
        self, task: _query.NodeTask[Node], channel: _Channel
    ) -> None:
        node = task.node
        try:
            connection = await node.pool.acquire(self.deadline)
        except _TRANSPORT as exc:
            task.failure = exc
            return
        node.stats.commands += 1
        try:
            await connection.send(_query.request(self.spec, self.policy, task))
            frame = await self._read_frames(task, connection, channel)
        except BaseException as exc:
            # A half-read stream leaves the socket unusable.
            await node.pool.discard(connection)
            if not isinstance(exc, _TRANSPORT) or self._expired():
                raise
            log.debug("query on node %s failed: %s", node.name, exc)
            task.failure = exc
            return
        if frame is None:
            await node.pool.discard(connection)  # the consumer stopped early
            return
        await node.pool.release(connection)
        if frame.error is not None:
            node.stats.errors += 1
            raise _query.explain_failure(frame.error, self.spec)

    async def _read_frames(
        self, task: _query.NodeTask[Node], connection: Connection, channel: _Channel
    ) -> _query.Frame | None:
        """Read frames up to the last; None when the consumer went away."""
        node = task.node
        while True:
            msg_type, body = await connection.receive(self._receive_timeout(node))
            if msg_type != MSG_AS:
                raise ConnectionFailure(
                    f"node {node.name} answered a query with message type {msg_type}"
                )
            try:
                frame = _query.parse_frame(body, task, node.name)
            except MALFORMED as exc:
                if isinstance(exc, AerospikeError):
                    raise
                raise malformed_reply(node.name, exc) from exc
            if frame.records and not await channel.put(frame.records):
                return None
            if frame.last:
                return frame

    def _expired(self) -> bool:
        return self.deadline is not None and monotonic() >= self.deadline

    def _receive_timeout(self, node: Node) -> float | None:
        socket_timeout = self.policy.socket_timeout / 1000 or None
        if self.deadline is None:
            return socket_timeout
        remaining = self.deadline - monotonic()
        if remaining <= 0:
            raise AerospikeTimeoutError(
                f"query on node {node.name} passed its total_timeout of "
                f"{self.policy.total_timeout} ms",
                node=node.name,
            )
        return remaining if socket_timeout is None else min(socket_timeout, remaining)


class AsyncQuery:
    """A query of one namespace or set; a scan when it has no ``where``.

    Get one from ``client.query(namespace, set_name)``::

        query = client.query("test", "users")
        query.select("name", "age")
        query.where(predicates.between("age", 18, 65))
        records = await query.results()
    """

    def __init__(
        self,
        cluster: Callable[[], Cluster],
        policies: Callable[[Mapping[str, Any] | None], Policy],
        namespace: str,
        set_name: str | None,
    ) -> None:
        self._cluster = cluster
        self._policies = policies
        self.namespace = check_name("namespace", namespace, MAX_NAMESPACE)
        if not namespace:
            raise InvalidArgError("namespace must not be empty")
        self.set_name = (
            "" if set_name is None else check_name("set name", set_name, MAX_SET)
        )
        self._bins: tuple[str, ...] | None = None
        self._filter: _query.Filter | None = None

    def select(self, *bins: str) -> AsyncQuery:
        """Return only these bins (no names: every bin again).

        Returns the query, so calls chain as with the official client.
        """
        self._bins = tuple(check_bin_name(name) for name in bins) or None
        return self

    def where(self, predicate: tuple[Any, ...]) -> AsyncQuery:
        """Filter through a secondary index; see :mod:`aerospike_py.predicates`.

        Returns the query: ``client.query(ns, s).where(p).results()``.
        """
        if self._filter is not None:
            raise InvalidArgError(
                "this query already has a where() predicate; the server takes one"
            )
        self._filter = _query.filter_from_predicate(predicate)
        return self

    async def results(self, policy: Mapping[str, Any] | None = None) -> list[Record]:
        """Read every matching record into a list."""
        records: list[Record] = []

        async def collect(batch: list[Record]) -> bool:
            records.extend(batch)
            return True

        await self._execute(policy, collect)
        return records

    async def foreach(
        self,
        callback: Callable[[Record], Any],
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        """Call ``callback`` with each record as it arrives; returning False
        stops the query (any other value continues). ``AsyncClient`` awaits
        an ``async def`` callback; ``Client`` refuses one."""
        if not callable(callback):
            raise InvalidArgError(
                f"foreach() needs a callable, not {type(callback).__name__}"
            )

        async def call(batch: list[Record]) -> bool:
            for record in batch:
                if await settle(callback(record)) is False:
                    return False
            return True

        await self._execute(policy, call)

    async def _execute(
        self, policy: Mapping[str, Any] | None, deliver: Deliver
    ) -> None:
        parsed = self._policies(policy)
        spec = _query.QuerySpec(self.namespace, self.set_name, self._bins, self._filter)
        await _Run(self._cluster(), spec, parsed).execute(deliver)
