"""Running batch plans: split rows per node, send, read the reply streams.

The sans-I/O half lives in :mod:`aerospike_py._batch`; this is the loop
around it. Each attempt groups the pending rows by the node that owns their
partition (the same routing as a single-record command), sends one request
per node, concurrently unless the policy says sequential, and reads each
node's frames until the LAST message. Rows of a node that failed on the
way are retried on the next attempt, re-routed, while the policy's
``max_retries`` and ``total_timeout`` allow; a write that may have reached
the node is never resent, it is reported in doubt.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

from aerospike_py import _constants as C
from aerospike_py._async._backend import gather, monotonic, sleep
from aerospike_py._async.cluster import Cluster
from aerospike_py._async.node import Node
from aerospike_py._batch import BatchPlan, RetrySchedule
from aerospike_py._command import MALFORMED, malformed_reply
from aerospike_py.exception import (
    AerospikeError,
    AerospikeTimeoutError,
    ClusterError,
    ConnectionFailure,
)
from aerospike_py.types import BatchRetryInfo

log = logging.getLogger("aerospike_py.command")

# Failures on the way to or from a node, after which rows may be resent.
_TRANSPORT = (ClusterError, ConnectionFailure, AerospikeTimeoutError)


def deadline_for(plan: BatchPlan) -> float | None:
    total = plan.policy.total_timeout
    return monotonic() + total / 1000 if total else None


async def execute(
    cluster: Cluster,
    plan: BatchPlan,
    indexes: Sequence[int] | None = None,
    deadline: float | None = None,
) -> None:
    """Run the rows ``indexes`` (all by default) until each has a result."""
    policy = plan.policy
    pending = list(range(len(plan))) if indexes is None else list(indexes)
    attempt = 0
    while pending:
        groups = _split(cluster, plan, pending, attempt)
        runs = [
            functools.partial(_run_node, node, plan, rows, deadline)
            for node, rows in groups.items()
        ]
        if policy.concurrency == C.BATCH_CONCURRENCY_SEQUENTIAL or len(runs) == 1:
            retry = [index for run in runs for index in await run()]
        else:
            retry = [index for rows in await gather(runs) for index in rows]
        expired = deadline is not None and monotonic() >= deadline
        if not retry or attempt >= policy.max_retries or expired:
            return
        attempt += 1
        pending = sorted(retry)
        log.debug("batch retry %d for %d row(s)", attempt, len(pending))
        if policy.sleep_between_retries:
            await sleep(policy.sleep_between_retries / 1000)


def _split(
    cluster: Cluster, plan: BatchPlan, indexes: list[int], attempt: int
) -> dict[Node, list[int]]:
    """Group rows by node; a row no node serves fails with the reason."""
    groups: dict[Node, list[int]] = {}
    for index in indexes:
        try:
            node = cluster.node_for(plan.route(index), attempt)
        except AerospikeError as exc:
            plan.unroutable(index, exc)
            continue
        groups.setdefault(node, []).append(index)
    return groups


async def _run_node(
    node: Node, plan: BatchPlan, indexes: list[int], deadline: float | None
) -> list[int]:
    """Send one node its rows and read the answers; return rows to resend."""
    reader = plan.reader(indexes)
    try:
        connection = await node.pool.acquire(deadline)
    except _TRANSPORT as exc:
        return plan.after_transport_failure(indexes, exc, sent=False)
    node.stats.commands += 1
    sent = False
    try:
        await connection.send(plan.request(indexes))
        sent = True
        while not reader.done:
            msg_type, body = await connection.receive(
                _receive_timeout(plan, deadline, node)
            )
            try:
                reader.feed(msg_type, body)
            except MALFORMED as exc:
                if isinstance(exc, AerospikeError):
                    raise
                raise malformed_reply(node.name, exc) from exc
    except BaseException as exc:
        # A half-read stream leaves the socket unusable.
        await node.pool.discard(connection)
        if not isinstance(exc, _TRANSPORT):
            raise
        if isinstance(exc, AerospikeTimeoutError):
            node.stats.timeouts += 1
        log.debug("batch on node %s failed: %s", node.name, exc)
        return plan.after_transport_failure(reader.unanswered(), exc, sent=sent)
    await node.pool.release(connection)
    error = reader.trailer_error()
    if error is not None:
        node.stats.errors += 1
        plan.fail(reader.unanswered(), error, sent=True, transport=False)
    return []


def _receive_timeout(
    plan: BatchPlan, deadline: float | None, node: Node
) -> float | None:
    socket_timeout = plan.policy.socket_timeout / 1000 or None
    if deadline is None:
        return socket_timeout
    remaining = deadline - monotonic()
    if remaining <= 0:
        raise AerospikeTimeoutError(
            f"batch on node {node.name} passed its total_timeout of "
            f"{plan.policy.total_timeout} ms",
            node=node.name,
        )
    return remaining if socket_timeout is None else min(socket_timeout, remaining)


async def run(cluster: Cluster, plan: BatchPlan) -> None:
    """Run every row of a plan; raise only if no row got any answer."""
    await execute(cluster, plan, deadline=deadline_for(plan))
    plan.raise_if_unanswered()


async def run_with_retry(
    cluster: Cluster, plan: BatchPlan, schedule: RetrySchedule
) -> BatchRetryInfo:
    """Run a plan, then rerun the rows that failed transiently.

    Up to ``schedule.max_attempts`` attempts in all, waiting a full-jitter
    backoff between them, and never past the policy's ``total_timeout``.
    """
    deadline = deadline_for(plan)
    pending: list[int] = list(range(len(plan)))
    attempts = 0
    truncated = False
    while True:
        attempts += 1
        await execute(cluster, plan, pending, deadline)
        pending = plan.transient_failures(pending)
        if not pending or attempts >= schedule.max_attempts:
            break
        delay = schedule.delay(attempts)
        if deadline is not None and monotonic() + delay >= deadline:
            truncated = True
            break
        log.debug("batch write attempt %d: %d row(s) to retry", attempts, len(pending))
        await sleep(delay)
    plan.raise_if_unanswered()
    return schedule.info(attempts, truncated, len(pending))
