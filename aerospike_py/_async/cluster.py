"""The cluster: finding nodes, keeping partition maps fresh, running commands.

Tending (PROTOCOL.md 14.1): seeds are validated with
``node / partition-generation / features [/ cluster-name]``; every
``tend_interval`` each node is asked ``node / peers-generation /
partition-generation``, and only a changed generation triggers a read of
``peers-clear-std`` (new nodes) or ``replicas`` (partition ownership). The
partition table is rebuilt as a new object and swapped in one assignment,
so commands read it without a lock.

Commands are routed by partition: writes to the master, reads by the
``replica`` policy, a retry moving to the next replica.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from aerospike_py import _constants as C
from aerospike_py._async._backend import (
    Connection,
    Gate,
    Lock,
    Periodic,
    call_in_loop,
    monotonic,
    running_loop,
    sleep,
)
from aerospike_py._async.auth import Login, login_for
from aerospike_py._async.node import Node, check_node_reply, request_info
from aerospike_py._command import MALFORMED, Command, malformed_reply
from aerospike_py._config import ClientSettings
from aerospike_py.cluster.hosts import Host
from aerospike_py.cluster.partitions import PartitionTable, parse_replicas
from aerospike_py.cluster.peers import parse_peers
from aerospike_py.exception import (
    AdminError,
    AerospikeError,
    AerospikeTimeoutError,
    ClusterError,
    ConnectionFailure,
    InvalidArgError,
    NoMoreConnectionsError,
    from_result_code,
)
from aerospike_py.observability import (
    METRICS,
    end_span,
    record_operation,
    record_stage,
    start_span,
)
from aerospike_py.wire.message import MSG_AS

log = logging.getLogger("aerospike_py.cluster")
command_log = logging.getLogger("aerospike_py.command")

MAX_TEND_FAILURES = 3
SEED_COMMANDS = ["node", "partition-generation", "features"]
TEND_COMMANDS = ["node", "peers-generation", "partition-generation"]


class _TransportFailure(Exception):
    """A command failed on the way to or from the node; maybe retryable."""

    def __init__(self, error: AerospikeError, sent: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.sent = sent


class Cluster:
    """Nodes, partition maps and the command loop of one client."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        # Logs every new connection in; None without credentials.
        self.login: Login | None = login_for(
            settings.auth_mode,
            settings.user,
            settings.password,
            settings.login_timeout,
        )
        self.nodes: list[Node] = []
        self.table: PartitionTable[Node] = PartitionTable()
        self.tend_count = 0
        self.tend_requests = 0
        self._tend_lock = Lock()
        self._tender: Periodic | None = None
        # Bounds the commands in flight (max_concurrent_operations).
        self.gate = Gate(
            settings.max_concurrent_operations, settings.operation_queue_timeout
        )
        self._closed = False
        # The event loop that owns the sockets and the tender (None: threads).
        self.loop = running_loop()

    # -- lifecycle -------------------------------------------------------------

    def belongs_here(self) -> bool:
        """True when the running code may use this cluster's sockets."""
        here = running_loop()
        return here is None or here is self.loop

    def loop_is_open(self) -> bool:
        return self.loop is not None and not self.loop.is_closed()

    def abandon(self) -> None:
        """Let go of a cluster from outside its event loop: its sockets and
        tender are closed in that loop if it still runs (a closed loop
        has already stopped them)."""
        self._closed = True
        callbacks = []
        if self._tender is not None:
            callbacks.append(self._tender.cancel)
            self._tender = None
        for node in self.nodes:
            callbacks.extend(c.close for c in node.abandon())
        self.nodes = []
        self.table = PartitionTable()
        call_in_loop(self.loop, callbacks)

    async def connect(self) -> None:
        """Find the cluster through the seeds and start tending it."""
        errors = await self._seed()
        if not self.nodes:
            detail = "; ".join(errors) or "no seed answered"
            raise ClusterError(f"could not connect to any seed host: {detail}")
        await self._tend_nodes()
        await self._fill_pools()
        self._tender = Periodic(
            "aerospike-tend", self._tend_safely, self.settings.tend_interval
        )

    async def close(self) -> None:
        self._closed = True
        if self._tender is not None:
            await self._tender.stop()
            self._tender = None
        for node in self.nodes:
            await node.close()
        self.nodes = []
        self.table = PartitionTable()

    # -- tending ---------------------------------------------------------------

    async def _tend_safely(self) -> None:
        try:
            await self.tend()
        except Exception:  # the tender must outlive any one failure
            log.exception("cluster tend failed")

    async def tend(self) -> None:
        """One tend round: refresh nodes, peers and partition maps."""
        async with self._tend_lock:
            if self._closed:
                return
            self.tend_count += 1
            if not self.nodes:
                await self._seed()
            await self._tend_nodes()
            for node in self.nodes:
                await node.pool.trim_idle()
            await self._fill_pools()

    async def _seed(self) -> list[str]:
        errors = []
        for host in self.settings.seeds:
            try:
                node = await self._validate(host)
            except AdminError:
                # Refused credentials: every seed would refuse them too,
                # so tell the caller now rather than try them all.
                raise
            except AerospikeError as exc:
                errors.append(f"{host}: {exc}")
                log.warning("seed %s failed: %s", host, exc)
                continue
            if all(existing.name != node.name for existing in self.nodes):
                self._add_node(node)
        return errors

    async def _validate(self, host: Host) -> Node:
        """Connect to a host and check it is a usable node of our cluster."""
        commands = list(SEED_COMMANDS)
        if self.settings.cluster_name:
            commands.append("cluster-name")
        connection = await Connection.open(
            host.name,
            host.port,
            self.settings.connect_timeout,
            self.settings.tls,
            host.tls_name,
        )
        try:
            authenticate = self._authenticator()
            if authenticate is not None:
                await authenticate(connection)
            self.tend_requests += 1
            reply = await request_info(
                connection, commands, self.settings.connect_timeout
            )
        finally:
            connection.close()
        check_node_reply(reply, commands, str(host))
        name = reply["node"]
        if (
            self.settings.cluster_name
            and reply["cluster-name"] != self.settings.cluster_name
        ):
            raise ClusterError(
                f"node {name} at {host} belongs to cluster "
                f"{reply['cluster-name']!r}, not {self.settings.cluster_name!r} "
                "(ClientConfig['cluster_name'])"
            )
        if reply["partition-generation"].strip() == "-1":
            raise ClusterError(
                f"node {name} at {host} is not ready (partition generation -1)"
            )
        features = set(reply["features"].split(";"))
        return Node(name, host, self.settings, features, self._authenticator())

    def _authenticator(self) -> Login | None:
        """The hook that logs a new connection in; None without credentials."""
        return self.login

    def _add_node(self, node: Node) -> None:
        log.info("node %s added at %s", node.name, node.host)
        self.nodes = [*self.nodes, node]

    async def _tend_nodes(self) -> None:
        peers_changed: list[Node] = []
        for node in list(self.nodes):
            try:
                self.tend_requests += 1
                reply = await node.tend_info(TEND_COMMANDS)
                check_node_reply(reply, TEND_COMMANDS, str(node.host))
            except AerospikeError as exc:
                node.failures += 1
                log.warning(
                    "tend of node %s failed (%d in a row): %s",
                    node.name,
                    node.failures,
                    exc,
                )
                continue
            if reply["node"] != node.name:
                log.warning(
                    "address %s now answers as node %s, not %s",
                    node.host,
                    reply["node"],
                    node.name,
                )
                node.failures = MAX_TEND_FAILURES
                continue
            node.failures = 0
            peers_generation = int(reply["peers-generation"])
            if peers_generation != node.peers_generation:
                peers_changed.append(node)
            partition_generation = int(reply["partition-generation"])
            if partition_generation != node.partition_generation:
                await self._refresh_partitions(node)
        for node in peers_changed:
            await self._refresh_peers(node)
        await self._drop_failed_nodes()

    async def _refresh_partitions(self, node: Node) -> None:
        commands = ["partition-generation", "replicas"]
        try:
            self.tend_requests += 1
            reply = await node.tend_info(commands)
            check_node_reply(reply, commands, str(node.host))
            replicas = parse_replicas(reply["replicas"])
        except (AerospikeError, ValueError) as exc:
            node.failures += 1
            log.warning("reading partitions of node %s failed: %s", node.name, exc)
            return
        self.table = self.table.with_node(node, replicas)
        node.partition_generation = int(reply["partition-generation"])
        log.debug("partition map of node %s updated", node.name)

    async def _refresh_peers(self, node: Node) -> None:
        # Over TLS the peers' TLS addresses and names (PROTOCOL.md 2.3).
        kind = "tls" if self.settings.tls is not None else "clear"
        variant = "alt" if self.settings.use_services_alternate else "std"
        command = f"peers-{kind}-{variant}"
        try:
            self.tend_requests += 1
            reply = await node.tend_info([command])
            check_node_reply(reply, [command], str(node.host))
            generation, peers = parse_peers(reply[command])
        except (AerospikeError, ValueError) as exc:
            log.warning("reading peers of node %s failed: %s", node.name, exc)
            return
        node.peer_names = {peer.node_name for peer in peers}
        known = {existing.name for existing in self.nodes}
        for peer in peers:
            if peer.node_name in known:
                continue
            for host in peer.hosts:
                try:
                    new_node = await self._validate(host)
                except AerospikeError as exc:
                    log.warning(
                        "peer %s at %s failed validation: %s", peer.node_name, host, exc
                    )
                    continue
                if new_node.name == peer.node_name:
                    self._add_node(new_node)
                    known.add(new_node.name)
                    await self._refresh_partitions(new_node)
                    break
        node.peers_generation = generation

    async def _drop_failed_nodes(self) -> None:
        healthy = [node for node in self.nodes if node.failures == 0]
        vouched = set().union(*(node.peer_names for node in healthy))
        failed = [
            node
            for node in self.nodes
            if node.failures >= MAX_TEND_FAILURES
            # A node that fails and that no healthy node lists as a peer has
            # left the cluster: drop it now rather than after more tends.
            or (node.failures and healthy and node.name not in vouched)
        ]
        if not failed:
            return
        if len(failed) == len(self.nodes):
            # Keep the last nodes: a server that comes back on the same
            # address is then found again without a new connect(), and its
            # maps are re-read because the generations are forgotten.
            for node in failed:
                node.partition_generation = -1
                node.peers_generation = -1
            return
        for node in failed:
            log.info("node %s removed after %d failed tends", node.name, node.failures)
            self.table = self.table.without_node(node)
            self.nodes = [n for n in self.nodes if n is not node]
            await node.close()

    async def _fill_pools(self) -> None:
        wanted = self.settings.min_conns_per_node
        if not wanted:
            return
        for node in self.nodes:
            try:
                await node.pool.fill(wanted)
            except AerospikeError as exc:
                log.warning("opening connections to node %s failed: %s", node.name, exc)

    # -- routing ---------------------------------------------------------------

    def node_for(self, command: Command, attempt: int) -> Node:
        """The node a command goes to on its ``attempt``-th try."""
        owners = self.table.owners(command.namespace, command.partition)
        if not owners:
            if not self.nodes:
                raise ClusterError("the client has no cluster node to send to")
            if command.namespace not in self.table.namespaces:
                raise from_result_code(
                    20, f"namespace {command.namespace!r} is not on the cluster"
                )
        policy = command.policy
        if command.is_write or policy.replica == C.POLICY_REPLICA_MASTER:
            candidates = owners[:1]
        else:
            start = attempt % len(owners)
            candidates = owners[start:] + owners[:start]
        for node in candidates:
            if node is not None and node.active and not node.failures:
                return node
        # Nothing healthy: try a node that failed its last tend anyway.
        for node in candidates + owners:
            if node is not None and node.active:
                return node
        raise ClusterError(
            f"no node serves partition {command.partition} of namespace "
            f"{command.namespace!r}"
        )

    def stats(self) -> dict[str, Any]:
        """A snapshot of the cluster as the client sees it."""
        nodes = []
        for node in self.nodes:
            pool = node.pool
            nodes.append(
                {
                    "name": node.name,
                    "address": str(node.host),
                    "active": node.active,
                    "partitions": self.table.partition_counts(node),
                    "connections": {
                        "in_use": pool.in_use,
                        "in_pool": pool.total - pool.in_use,
                        "opened": pool.stats.opened,
                        "closed": pool.stats.closed,
                        "failed": pool.stats.failed,
                    },
                    "commands": node.stats.commands,
                    "errors": node.stats.errors,
                    "timeouts": node.stats.timeouts,
                    "tend_failures": node.failures,
                }
            )
        return {
            "nodes": nodes,
            "tend_count": self.tend_count,
            "tend_requests": self.tend_requests,
        }

    def random_node(self) -> Node:
        nodes = [node for node in self.nodes if node.active]
        if not nodes:
            raise ClusterError("the client has no cluster node to send to")
        return random.choice(nodes)

    # -- running commands ------------------------------------------------------

    async def execute(self, command: Command) -> Any:
        """Run a single-record command with its policy's timeouts and retries."""
        key = command.key
        started = monotonic()
        span = start_span(command.name, key.namespace, key.set_name)
        error: BaseException | None = None
        try:
            async with self.gate:
                return await self._execute(command)
        except BaseException as exc:
            error = exc
            raise
        finally:
            record_operation(
                key.namespace,
                key.set_name,
                command.name,
                monotonic() - started,
                "" if error is None else type(error).__name__,
            )
            if span is not None:
                end_span(span, error)

    async def _execute(self, command: Command) -> Any:
        policy = command.policy
        start = monotonic()
        deadline = start + policy.total_timeout / 1000 if policy.total_timeout else None
        socket_timeout = policy.socket_timeout / 1000 if policy.socket_timeout else None
        attempt = 0
        in_doubt = False
        while True:
            try:
                node = self.node_for(command, attempt)
            except ClusterError as exc:
                failure: AerospikeError = exc
            else:
                timeout = socket_timeout
                if deadline is not None:
                    remaining = deadline - monotonic()
                    timeout = remaining if timeout is None else min(timeout, remaining)
                try:
                    return await self._attempt(node, command, deadline, timeout)
                except _TransportFailure as transport:
                    failure = transport.error
                    in_doubt = in_doubt or (command.is_write and transport.sent)
                except AerospikeError as error:
                    # An answer (RecordExistsError...) or a pool that stayed
                    # busy: after an earlier attempt sent the write, it may
                    # have been applied all the same.
                    if in_doubt:
                        error.in_doubt = True
                    raise
            expired = deadline is not None and monotonic() >= deadline
            if attempt >= policy.max_retries or expired:
                raise _final_error(failure, command, attempt + 1, start, in_doubt)
            attempt += 1
            command_log.debug("retry %d after: %s", attempt, failure)
            if policy.sleep_between_retries:
                await sleep(policy.sleep_between_retries / 1000)

    async def _attempt(
        self,
        node: Node,
        command: Command,
        deadline: float | None,
        timeout: float | None,
    ) -> Any:
        stages = METRICS.stages_enabled
        mark = monotonic() if stages else 0.0
        try:
            connection = await node.pool.acquire(deadline)
        except NoMoreConnectionsError:
            raise
        except (ConnectionFailure, AerospikeTimeoutError) as exc:
            raise _TransportFailure(exc, sent=False) from exc
        if stages:
            mark = _stage("connection", mark)
        sent = False
        node.stats.commands += 1
        try:
            await connection.send(command.data)
            sent = True
            msg_type, body = await connection.receive(timeout)
            if stages:
                mark = _stage("network", mark)
        except BaseException as exc:
            await node.pool.discard(connection)
            if isinstance(exc, AerospikeTimeoutError):
                node.stats.timeouts += 1
            if isinstance(exc, (ConnectionFailure, AerospikeTimeoutError)):
                raise _TransportFailure(exc, sent) from exc
            raise
        await node.pool.release(connection)
        if msg_type != MSG_AS:
            raise ClusterError(
                f"node {node.name} answered with message type {msg_type}"
            )
        try:
            return command.parse(body, node.name)
        except AerospikeError:
            node.stats.errors += 1
            raise
        except MALFORMED as exc:
            node.stats.errors += 1
            raise malformed_reply(node.name, exc) from exc
        finally:
            if stages:
                _stage("parse", mark)

    async def info(self, node: Node, command: str, timeout: float | None) -> str:
        """Run one info command on one node and return its value."""
        if not isinstance(command, str) or not command or "\n" in command:
            raise InvalidArgError(
                f"info command must be one line of text, not {command!r:.60}"
            )
        reply = await node.info([command], timeout)
        if command in reply:
            return reply[command]
        # Servers echo the command; take the only answer if the echo differs.
        return next(iter(reply.values()), "")


def _stage(name: str, since: float) -> float:
    now = monotonic()
    record_stage(name, now - since)
    return now


def _final_error(
    failure: AerospikeError,
    command: Command,
    attempts: int,
    start: float,
    in_doubt: bool,
) -> AerospikeError:
    elapsed_ms = (monotonic() - start) * 1000
    policy = command.policy
    if isinstance(failure, AerospikeTimeoutError):
        message = (
            f"command timed out after {elapsed_ms:.0f} ms and {attempts} attempt(s) "
            f"(total_timeout={policy.total_timeout} ms, "
            f"socket_timeout={policy.socket_timeout} ms): {failure}"
        )
        return AerospikeTimeoutError(message, node=failure.node, in_doubt=in_doubt)
    error = type(failure)(
        f"{failure.msg} (after {attempts} attempt(s))",
        failure.code,
        node=failure.node,
        in_doubt=in_doubt,
    )
    return error
