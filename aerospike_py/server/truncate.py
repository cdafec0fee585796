"""Truncate: drop every record of a set or namespace last updated before a
time (PROTOCOL.md 2.6; aerospike-server as/src/base/truncate.c and the
``cmd_truncate*`` commands of thr_info.c).

The threshold is a last-update time: now, or ``lut=<unix nanoseconds>``,
which the server cuts to milliseconds. Records updated before it are gone
at once, and their index entries with them; records written later stay.
A threshold not newer than the current one changes nothing. ``-undo``
forgets the threshold (records already dropped stay dropped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aerospike_py.server.info import InfoError, Params, command
from aerospike_py.server.storage import CITRUSLEAF_EPOCH, Namespace

if TYPE_CHECKING:
    from aerospike_py.server.node import ServerNode

NAMESPACE_MAX_SZ = 32  # buffer sizes, with the C string terminator
SET_MAX_SZ = 64
LUT_MAX_SZ = 24
_MS = 1_000_000
_EPOCH_MS = CITRUSLEAF_EPOCH * 1000


def _param(params: Params, name: str, size: int, *, required: bool) -> str | None:
    """A parameter, refused as thr_info.c refuses it."""
    code = 20 if name == "namespace" else 4
    value = params.get(name)
    if value is None:
        if required:
            raise InfoError(code, f"missing '{name}'")
        return None
    if len(value.encode()) >= size:
        raise InfoError(code, f"'{name}' value too long")
    if not value:
        raise InfoError(code, f"missing '{name}' value")
    return value


def _threshold_ns(node: ServerNode, lut_text: str | None) -> int:
    """The cut-off in nanoseconds: records updated before it are dropped.

    The server keeps milliseconds since 2010 and drops records whose
    last-update time is strictly older (truncate.c).
    """
    now_ns = node.cluster.clock.now_ns()
    if lut_text is None:
        # Record times here have nanoseconds, so "now" takes every record
        # written so far, even within the current millisecond.
        return now_ns
    try:
        utc_ns = int(lut_text, 0)
    except ValueError:
        utc_ns = 0  # strtoul() reads garbage as 0
    lut_ms = max(utc_ns // _MS - _EPOCH_MS, 0)
    if lut_ms == 0:
        raise InfoError(4, "would truncate to 0")
    if lut_ms > now_ns // _MS - _EPOCH_MS:
        raise InfoError(4, "would truncate in the future")
    # Storage drops records with last_update_ns <= the stored value.
    return (lut_ms + _EPOCH_MS) * _MS - 1


def _truncate(namespace: Namespace, set_name: str | None, threshold_ns: int) -> None:
    if set_name is None:
        if threshold_ns <= namespace.truncate_lut_ns:
            return
        namespace.truncate_lut_ns = threshold_ns
    else:
        state = namespace.sets.get(set_name)
        if state is None or threshold_ns <= state.truncate_lut_ns:
            return  # a set the namespace never saw has nothing to drop
        state.truncate_lut_ns = threshold_ns
    # The server deletes the records right away in truncate threads; the
    # sweep removes them, telling the secondary indexes.
    namespace.sweep()


def _apply(
    node: ServerNode, ns_name: str, set_name: str | None, lut: str | None
) -> str:
    threshold = _threshold_ns(node, lut)
    cluster = node.cluster
    with cluster.lock:
        namespace = cluster.namespaces.get(ns_name)
        # An unknown namespace is accepted and ignored, as on the server.
        if namespace is not None:
            _truncate(namespace, set_name, threshold)
    return "ok"


def _undo(node: ServerNode, ns_name: str, set_name: str | None) -> str:
    cluster = node.cluster
    with cluster.lock:
        namespace = cluster.namespaces.get(ns_name)
        if namespace is None:
            return "ok"
        if set_name is None:
            namespace.truncate_lut_ns = 0
        elif set_name in namespace.sets:
            namespace.sets[set_name].truncate_lut_ns = 0
    return "ok"


def _refuse_set(params: Params) -> None:
    # A set here probably meant 'truncate'; refuse rather than guess.
    if "set" in params:
        raise InfoError(4, "unexpected set name")


@command("truncate")
def _cmd_truncate(node: ServerNode, params: Params, args: list[str]) -> str:
    ns_name = _param(params, "namespace", NAMESPACE_MAX_SZ, required=True) or ""
    set_name = _param(params, "set", SET_MAX_SZ, required=True)
    lut = _param(params, "lut", LUT_MAX_SZ, required=False)
    return _apply(node, ns_name, set_name, lut)


@command("truncate-namespace")
def _cmd_truncate_namespace(node: ServerNode, params: Params, args: list[str]) -> str:
    ns_name = _param(params, "namespace", NAMESPACE_MAX_SZ, required=True) or ""
    _refuse_set(params)
    lut = _param(params, "lut", LUT_MAX_SZ, required=False)
    return _apply(node, ns_name, None, lut)


@command("truncate-undo")
def _cmd_truncate_undo(node: ServerNode, params: Params, args: list[str]) -> str:
    ns_name = _param(params, "namespace", NAMESPACE_MAX_SZ, required=True) or ""
    set_name = _param(params, "set", SET_MAX_SZ, required=True)
    return _undo(node, ns_name, set_name)


@command("truncate-namespace-undo")
def _cmd_truncate_namespace_undo(
    node: ServerNode, params: Params, args: list[str]
) -> str:
    ns_name = _param(params, "namespace", NAMESPACE_MAX_SZ, required=True) or ""
    _refuse_set(params)
    return _undo(node, ns_name, None)
