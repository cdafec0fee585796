"""Import the server modules that register op handlers, info commands and
message handlers, so that every node serves all of them.

Each feature module registers itself on import (``ops.register``,
``info.command``, ``node.multi_handlers``); add a line here for a new one.
"""

import aerospike_py.server.batch  # noqa: F401
import aerospike_py.server.bits  # noqa: F401
import aerospike_py.server.cdt.handlers  # noqa: F401
import aerospike_py.server.expressions  # noqa: F401
import aerospike_py.server.hll  # noqa: F401
import aerospike_py.server.query
import aerospike_py.server.sindex
import aerospike_py.server.truncate
import aerospike_py.server.udf  # noqa: F401
from aerospike_py.server import commands, control, info, ops  # noqa: F401
