"""Logging level, Prometheus metrics and OpenTelemetry tracing.

Metrics are on by default and cost two clock reads and a dict lookup per
command. ``get_metrics()`` returns them in the Prometheus text format;
``start_metrics_server()`` serves them on ``/metrics``. Tracing is off until
``init_tracing()`` (it needs the ``otel`` extra); each command then becomes
a span with the OpenTelemetry database attributes.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aerospike_py import _constants as C
from aerospike_py.exception import ClientError, InvalidArgError

__all__ = [
    "dropped_log_count",
    "get_metrics",
    "init_tracing",
    "internal_stage_profiling",
    "is_internal_stage_metrics_enabled",
    "is_metrics_enabled",
    "set_internal_stage_metrics_enabled",
    "set_log_level",
    "set_metrics_enabled",
    "shutdown_tracing",
    "start_metrics_server",
    "stop_metrics_server",
]

TRACE = 5
logging.addLevelName(TRACE, "TRACE")

_LEVELS = {
    C.LOG_LEVEL_OFF: logging.CRITICAL + 10,
    C.LOG_LEVEL_ERROR: logging.ERROR,
    C.LOG_LEVEL_WARN: logging.WARNING,
    C.LOG_LEVEL_INFO: logging.INFO,
    C.LOG_LEVEL_DEBUG: logging.DEBUG,
    C.LOG_LEVEL_TRACE: TRACE,
}


def set_log_level(level: int) -> None:
    """Set the level of the ``aerospike_py`` loggers (a ``LOG_LEVEL_*``)."""
    if isinstance(level, bool) or level not in _LEVELS:
        raise InvalidArgError(
            f"log level {level!r} is not one of LOG_LEVEL_OFF .. LOG_LEVEL_TRACE "
            "(-1..4)"
        )
    logging.getLogger("aerospike_py").setLevel(_LEVELS[level])


def dropped_log_count() -> int:
    """Log records that could not be delivered: always 0 in pure Python."""
    return 0


# -- metrics ------------------------------------------------------------------

BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip


class _Histogram:
    __slots__ = ("count", "counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0
        self.count = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds
        self.count += 1


class _Metrics:
    def __init__(self) -> None:
        self.enabled = os.environ.get("AEROSPIKE_PY_METRICS", "1") not in ("0", "false")
        self.stages_enabled = os.environ.get(
            "AEROSPIKE_PY_INTERNAL_METRICS", ""
        ).lower() in ("1", "true", "yes", "on")
        self.operations: dict[tuple[str, str, str, str], _Histogram] = {}
        self.stages: dict[str, _Histogram] = {}
        self.lock = threading.Lock()

    def operation(
        self, namespace: str, set_name: str, name: str, seconds: float, error: str
    ) -> None:
        labels = (namespace, set_name, name, error)
        histogram = self.operations.get(labels)
        if histogram is None:
            with self.lock:
                histogram = self.operations.setdefault(labels, _Histogram())
        histogram.observe(seconds)

    def stage(self, name: str, seconds: float) -> None:
        histogram = self.stages.get(name)
        if histogram is None:
            with self.lock:
                histogram = self.stages.setdefault(name, _Histogram())
        histogram.observe(seconds)


METRICS = _Metrics()


def record_operation(
    namespace: str, set_name: str, name: str, seconds: float, error: str = ""
) -> None:
    """Count one finished command (called by the clients)."""
    if METRICS.enabled:
        METRICS.operation(namespace, set_name, name, seconds, error)


def record_stage(name: str, seconds: float) -> None:
    if METRICS.stages_enabled:
        METRICS.stage(name, seconds)


def set_metrics_enabled(enabled: bool) -> None:
    METRICS.enabled = bool(enabled)


def is_metrics_enabled() -> bool:
    return METRICS.enabled


def set_internal_stage_metrics_enabled(enabled: bool) -> None:
    METRICS.stages_enabled = bool(enabled)


def is_internal_stage_metrics_enabled() -> bool:
    return METRICS.stages_enabled


@contextlib.contextmanager
def internal_stage_profiling() -> Iterator[None]:
    """Record per-stage timings inside the block only."""
    previous = METRICS.stages_enabled
    METRICS.stages_enabled = True
    try:
        yield
    finally:
        METRICS.stages_enabled = previous


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _histogram_lines(name: str, labels: str, histogram: _Histogram) -> list[str]:
    lines = []
    cumulative = 0
    for bound, count in zip(BUCKETS, histogram.counts, strict=False):
        cumulative += count
        lines.append(f'{name}_bucket{{{labels},le="{bound}"}} {cumulative}')
    lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {histogram.count}')
    lines.append(f"{name}_sum{{{labels}}} {histogram.total}")
    lines.append(f"{name}_count{{{labels}}} {histogram.count}")
    return lines


def get_metrics() -> str:
    """All metrics in the Prometheus text exposition format."""
    operation = "db_client_operation_duration_seconds"
    lines = [
        f"# HELP {operation} Duration of database client operations.",
        f"# TYPE {operation} histogram",
    ]
    with METRICS.lock:
        operations = list(METRICS.operations.items())
        stages = list(METRICS.stages.items())
    for (namespace, set_name, name, error), histogram in sorted(operations):
        labels = (
            f'db_system_name="aerospike",db_namespace="{_escape(namespace)}",'
            f'db_collection_name="{_escape(set_name)}",'
            f'db_operation_name="{_escape(name)}",error_type="{_escape(error)}"'
        )
        lines.extend(_histogram_lines(operation, labels, histogram))
    if stages:
        stage_name = "db_client_internal_stage_seconds"
        lines.append(f"# HELP {stage_name} Time spent in each stage of a command.")
        lines.append(f"# TYPE {stage_name} histogram")
        for stage, histogram in sorted(stages):
            lines.extend(_histogram_lines(stage_name, f'stage="{stage}"', histogram))
    return "\n".join(lines) + "\n"


class _MetricsHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/metrics":
            self.send_error(404, "only /metrics is served")
            return
        body = get_metrics().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logging.getLogger("aerospike_py.metrics").debug(format, *args)


_server: ThreadingHTTPServer | None = None
_server_thread: threading.Thread | None = None
_server_lock = threading.Lock()


def start_metrics_server(port: int = 9464, host: str = "127.0.0.1") -> int:
    """Serve ``GET /metrics`` on a background thread; return the port.

    Starting again replaces the running server. Port 0 picks a free port.
    """
    global _server, _server_thread
    with _server_lock:
        _stop_locked()
        _server = ThreadingHTTPServer((host, port), _MetricsHandler)
        _server.daemon_threads = True
        _server_thread = threading.Thread(
            target=_server.serve_forever, name="aerospike-metrics", daemon=True
        )
        _server_thread.start()
        bound: int = _server.server_address[1]
        return bound


def stop_metrics_server() -> None:
    """Stop the metrics server; nothing happens when none runs."""
    with _server_lock:
        _stop_locked()


def _stop_locked() -> None:
    global _server, _server_thread
    if _server is not None:
        _server.shutdown()
        _server.server_close()
    if _server_thread is not None:
        _server_thread.join()
    _server = None
    _server_thread = None


# -- tracing -----------------------------------------------------------------

_tracer: Any = None
_provider: Any = None


def init_tracing(exporter: Any = None) -> None:
    """Turn on OpenTelemetry spans for every command.

    With no ``exporter``, spans go to an OTLP exporter configured by the
    ``OTEL_*`` environment variables. Needs ``pip install
    "aerospike-py-toolkit[otel]"``.
    """
    global _tracer, _provider
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise ClientError(
            'tracing needs OpenTelemetry: pip install "aerospike-py-toolkit[otel]"'
        ) from exc
    if exporter is None:
        if os.environ.get("OTEL_TRACES_EXPORTER", "").lower() == "none":
            return
        exporter = _otlp_exporter()
    service = os.environ.get("OTEL_SERVICE_NAME", "aerospike-py")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    shutdown_tracing()
    _provider = provider
    _tracer = provider.get_tracer("aerospike_py")


def _otlp_exporter() -> Any:
    try:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter,
        )
    except ImportError:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter,
            )
        except ImportError as exc:
            raise ClientError(
                "init_tracing() needs an OTLP exporter: pip install "
                '"aerospike-py-toolkit[otel]" (its OTLP/HTTP exporter), '
                "or pass exporter="
            ) from exc
    return OTLPSpanExporter()


def shutdown_tracing() -> None:
    """Flush pending spans and stop tracing."""
    global _tracer, _provider
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


def tracer() -> Any:
    """The active tracer, or None when tracing is off."""
    return _tracer


def start_span(operation: str, namespace: str, set_name: str) -> Any:
    """Open a client span for one command; None when tracing is off."""
    active = _tracer
    if active is None:
        return None
    from opentelemetry.trace import SpanKind

    target = f"{namespace}.{set_name}" if set_name else namespace
    return active.start_span(
        f"{operation} {target}",
        kind=SpanKind.CLIENT,
        attributes={
            "db.system.name": "aerospike",
            "db.namespace": namespace,
            "db.collection.name": set_name,
            "db.operation.name": operation,
        },
    )


def end_span(span: Any, error: BaseException | None) -> None:
    if error is not None:
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("error.type", type(error).__name__)
        code = getattr(error, "code", None)
        if code is not None:
            span.set_attribute("db.response.status_code", str(code))
        span.set_status(Status(StatusCode.ERROR, str(error)))
    span.end()
