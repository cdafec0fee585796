"""The op handlers of CDT_READ (3) and CDT_MODIFY (4) bin ops.

A CDT read of a missing bin yields no value, as on the server
(process_bin_read_op in as/src/transaction/rw_utils.c); a modify of a
missing bin may create it, and a no-op leaves it missing (write_master in
as/src/transaction/write.c).
"""

from __future__ import annotations

from typing import Any

from aerospike_py.server import ops
from aerospike_py.server.cdt import cdt_modify, cdt_read, decode_payload
from aerospike_py.server.ops import NO_RESULT, OpContext
from aerospike_py.wire import message as msg


def _read(ctx: OpContext, op: msg.Op) -> Any:
    value = ctx.bins.get(op.name)
    if value is None:
        return NO_RESULT
    result = cdt_read(value, decode_payload(bytes(op.value)))
    return NO_RESULT if result is None else result


def _modify(ctx: OpContext, op: msg.Op) -> Any:
    value = ctx.bins.get(op.name)
    result, new = cdt_modify(value, decode_payload(bytes(op.value)))
    if new is None:
        ctx.bins.pop(op.name, None)
    else:
        ctx.bins[op.name] = new
    return NO_RESULT if result is None else result


ops.register(msg.OP_CDT_READ, _read, modify=False)
ops.register(msg.OP_CDT_MODIFY, _modify, modify=True)
