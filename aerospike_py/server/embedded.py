"""EmbeddedServer: the in-process server, on a background thread.

    with EmbeddedServer() as server:          # port 0: a free port
        client = aerospike_py.client(server.client_config()).connect()

It binds 127.0.0.1 unless told otherwise, serves the ``test`` namespace
unless given others, and stops (closing every connection) on exit.

    EmbeddedServer(security=True, admin_password="admin")   # access control
    EmbeddedServer(tls={"certfile": ..., "keyfile": ..., "cafile": ...})
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from aerospike_py.server import plugins  # noqa: F401  (registers features)
from aerospike_py.server import security as server_security
from aerospike_py.server import tls as server_tls
from aerospike_py.server.cluster import ServerCluster
from aerospike_py.server.membership import add_node, start_node, stop_node
from aerospike_py.server.node import ServerNode
from aerospike_py.server.storage import NamespaceConfig
from aerospike_py.wire.message import Message

T = TypeVar("T")

NamespaceSpec = str | NamespaceConfig


def _namespace_configs(namespaces: Iterable[NamespaceSpec]) -> list[NamespaceConfig]:
    configs = []
    for spec in namespaces:
        configs.append(NamespaceConfig.parse(spec) if isinstance(spec, str) else spec)
    if not configs:
        raise ValueError("the server needs at least one namespace")
    names = [config.name for config in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"namespace names repeat: {names}")
    for name in names:
        if not name or len(name.encode()) > 31:
            raise ValueError(f"namespace name {name!r} must be 1 to 31 bytes")
    return configs


class EmbeddedServer:
    """An Aerospike-compatible server running inside this process."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        namespaces: Iterable[NamespaceSpec] = ("test",),
        nodes: int = 1,
        replication_factor: int = 1,
        cluster_name: str = "embedded",
        security: bool = False,
        admin_password: str = "admin",
        session_ttl: int = 86_400,
        enable_quotas: bool = False,
        tls: server_tls.ServerTLS | Mapping[str, Any] | None = None,
    ) -> None:
        """``namespaces`` are names, ``NAME:setting=value,...`` strings as
        on the command line (``"cache:default-ttl=3600"``), or
        NamespaceConfig objects. ``security`` turns access control on, with
        the user ``admin`` (password ``admin_password``) as a fresh
        Enterprise server has it;
        ``session_ttl`` is the seconds a login token lives; quotas on roles
        need ``enable_quotas``. ``tls`` (a ServerTLS or a dict of its
        fields) makes every node listen with TLS only.
        """
        if nodes < 1:
            raise ValueError("nodes must be at least 1")
        if enable_quotas and not security:
            raise ValueError("enable_quotas needs security=True")
        self.cluster = ServerCluster(
            _namespace_configs(namespaces),
            cluster_name=cluster_name,
            replication_factor=replication_factor,
        )
        self.security: server_security.SecurityState | None = None
        if security:
            config = server_security.SecurityConfig(
                admin_password, session_ttl, enable_quotas
            )
            self.security = server_security.enable(self.cluster, config)
        self.tls = None if tls is None else server_tls.ServerTLS.from_value(tls)
        if self.tls is not None:
            server_tls.enable(self.cluster, self.tls)
        self.host = host
        self._first_port = port
        self._node_count = nodes
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> EmbeddedServer:
        """Start the loop thread and every node; return once they listen."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run_loop, args=(ready,), name="aerospike-embedded", daemon=True
        )
        self._thread.start()
        ready.wait()
        try:
            self.call(self._start_nodes())
        except BaseException:
            self.stop()
            raise
        return self

    def _run_loop(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
        self._loop.run_forever()

    async def _start_nodes(self) -> None:
        for index in range(self._node_count):
            port = self._first_port + index if self._first_port else 0
            node = ServerNode(self.cluster, host=self.host, port=port, index=index)
            await node.start()
            self.cluster.add_node(node)
        self.cluster.rebalance()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            with self.cluster.lock:
                for namespace in self.cluster.namespaces.values():
                    if namespace.config.nsup_period:
                        namespace.sweep_due()

    def stop(self) -> None:
        """Stop every node, close every connection and end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            try:
                self.call(self._stop_nodes())
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join()
        loop.close()
        self._loop = None
        self._thread = None

    async def _stop_nodes(self) -> None:
        sweeper = getattr(self, "_sweeper", None)
        if sweeper is not None:
            sweeper.cancel()
        for node in self.cluster.nodes:
            await node.stop()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30) -> T:
        """Run a coroutine on the server's loop and return its result."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("the embedded server is not running")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout)

    def run_in_loop(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the server's loop thread."""

        async def wrapper() -> T:
            return fn()

        return self.call(wrapper())

    # -- addresses -----------------------------------------------------------

    @property
    def nodes(self) -> list[ServerNode]:
        return list(self.cluster.nodes)

    @property
    def port(self) -> int:
        """The port of the first node."""
        return self.cluster.nodes[0].port

    @property
    def hosts(self) -> list[tuple[str, int]]:
        return [(node.host, node.port) for node in self.cluster.nodes]

    def client_config(self, **extra: Any) -> dict[str, Any]:
        """Return a ClientConfig that reaches this server.

        With TLS, the hosts carry the server's TLS name when it has one;
        the client's ``tls`` settings (its CA, its certificate) are the
        caller's to add.
        """
        hosts: list[Any] = self.hosts
        if self.tls is not None and self.tls.name:
            hosts = [(host, port, self.tls.name) for host, port in hosts]
        config: dict[str, Any] = {"hosts": hosts}
        config.update(extra)
        return config

    # -- cluster membership ----------------------------------------------------

    def stop_node(self, index: int) -> None:
        """Stop one node (its partitions move to the others)."""
        self.call(stop_node(self.cluster, index))

    def start_node(self, index: int) -> None:
        """Start a stopped node again, on its old port."""
        self.call(start_node(self.cluster, index))

    def add_node(self) -> ServerNode:
        """Start a new node; it takes over its share of the partitions."""
        return self.call(add_node(self.cluster, self.host))

    # -- control for tests ---------------------------------------------------

    def advance_clock(self, seconds: float) -> None:
        """Move the server's clock forward: records expire as if ``seconds``
        had passed, and the TTLs clients read count down accordingly."""
        self.cluster.clock.advance(seconds)

    def delay_replies(self, seconds: float) -> None:
        """Wait ``seconds`` before answering every following request."""

        def apply() -> None:
            for node in self.cluster.nodes:
                node.reply_delay = seconds

        self.run_in_loop(apply)

    def stop_answering(self) -> None:
        """Keep connections open but answer nothing until resumed."""

        def apply() -> None:
            for node in self.cluster.nodes:
                node.answering.clear()

        self.run_in_loop(apply)

    def resume_answering(self) -> None:
        def apply() -> None:
            for node in self.cluster.nodes:
                node.answering.set()

        self.run_in_loop(apply)

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Message]]:
        """Collect every AS_MSG request the server decodes inside the block."""
        received: list[Message] = []
        self.cluster.recorder = received
        try:
            yield received
        finally:
            self.cluster.recorder = None

    def clear(self) -> None:
        """Delete every record of every namespace."""

        def apply() -> None:
            with self.cluster.lock:
                for namespace in self.cluster.namespaces.values():
                    for partition in namespace.partitions:
                        partition.clear()

        self.run_in_loop(apply)
