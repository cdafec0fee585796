"""Import the server modules that register op handlers, info commands and
message handlers, so that every node serves all of them.

Each feature module registers itself on import (``ops.register``,
``info.command``, ``node.multi_handlers``); add a name here for a new one.
"""

from aerospike_py.server import (  # noqa: F401  (imported for registration)
    batch,
    bits,
    commands,
    expressions,
    hll,
    info,
    node_control,
    ops,
    query,
    security,
    sindex,
    truncate,
    udf,
)
from aerospike_py.server.cdt import handlers  # noqa: F401
