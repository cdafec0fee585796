"""Logging level, Prometheus metrics and OpenTelemetry spans."""

from __future__ import annotations

import http.client
import logging

import pytest

import aerospike_py
from aerospike_py.exception import InvalidArgError, RecordNotFound


def test_set_log_level_maps_to_python_levels():
    logger = logging.getLogger("aerospike_py")
    previous = logger.level
    try:
        aerospike_py.set_log_level(aerospike_py.LOG_LEVEL_DEBUG)
        assert logger.level == logging.DEBUG
        aerospike_py.set_log_level(aerospike_py.LOG_LEVEL_TRACE)
        assert logger.level == 5
        aerospike_py.set_log_level(aerospike_py.LOG_LEVEL_OFF)
        assert logger.level > logging.CRITICAL
        with pytest.raises(InvalidArgError, match="log level"):
            aerospike_py.set_log_level(9)
    finally:
        logger.setLevel(previous)


def _bucket_count(text, operation, set_name, error=""):
    wanted = (
        f'db_collection_name="{set_name}",db_operation_name="{operation}",'
        f'error_type="{error}"}}'
    )
    for line in text.splitlines():
        count_line = line.startswith("db_client_operation_duration_seconds_count")
        if count_line and wanted in line:
            return int(line.rsplit(" ", 1)[1])
    return 0


def test_operations_are_counted_by_name_and_error(aerospike_client, aerospike_set):
    key = ("test", aerospike_set, "m")
    aerospike_client.put(key, {"a": 1})
    aerospike_client.get(key)
    aerospike_client.get(key)
    with pytest.raises(RecordNotFound):
        aerospike_client.get(("test", aerospike_set, "missing"))
    text = aerospike_py.get_metrics()
    assert _bucket_count(text, "put", aerospike_set) == 1
    assert _bucket_count(text, "get", aerospike_set) == 2
    assert _bucket_count(text, "get", aerospike_set, "RecordNotFound") == 1
    assert "# TYPE db_client_operation_duration_seconds histogram" in text


def test_disabled_metrics_count_nothing(aerospike_client, aerospike_set):
    aerospike_py.set_metrics_enabled(False)
    try:
        assert aerospike_py.is_metrics_enabled() is False
        aerospike_client.put(("test", aerospike_set, "x"), {"a": 1})
    finally:
        aerospike_py.set_metrics_enabled(True)
    assert _bucket_count(aerospike_py.get_metrics(), "put", aerospike_set) == 0


def test_stage_profiling_records_stages_only_inside_the_block(
    aerospike_client, aerospike_set
):
    assert aerospike_py.is_internal_stage_metrics_enabled() is False
    with aerospike_py.internal_stage_profiling():
        aerospike_client.put(("test", aerospike_set, "s"), {"a": 1})
    assert aerospike_py.is_internal_stage_metrics_enabled() is False
    text = aerospike_py.get_metrics()
    for stage in ("connection", "network", "parse"):
        assert f'db_client_internal_stage_seconds_count{{stage="{stage}"}}' in text


def test_metrics_server_serves_metrics_and_404s_elsewhere():
    port = aerospike_py.start_metrics_server(port=0)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        assert response.status == 200
        assert b"db_client_operation_duration_seconds" in response.read()
        connection.request("GET", "/other")
        other = connection.getresponse()
        other.read()
        assert other.status == 404
        connection.close()
    finally:
        aerospike_py.stop_metrics_server()
    aerospike_py.stop_metrics_server()  # nothing running: no error


def test_tracing_emits_one_client_span_per_command(aerospike_client, aerospike_set):
    memory = pytest.importorskip(
        "opentelemetry.sdk.trace.export.in_memory_span_exporter"
    )
    exporter = memory.InMemorySpanExporter()
    aerospike_py.init_tracing(exporter=exporter)
    try:
        aerospike_client.put(("test", aerospike_set, "t"), {"a": 1})
        with pytest.raises(RecordNotFound):
            aerospike_client.get(("test", aerospike_set, "absent"))
    finally:
        aerospike_py.shutdown_tracing()
    spans = {span.name: span for span in exporter.get_finished_spans()}
    put = spans[f"put test.{aerospike_set}"]
    assert put.attributes["db.system.name"] == "aerospike"
    assert put.attributes["db.operation.name"] == "put"
    failed = spans[f"get test.{aerospike_set}"]
    assert failed.attributes["error.type"] == "RecordNotFound"
    assert failed.attributes["db.response.status_code"] == "2"
