"""Import the server modules that register op handlers, info commands and
message handlers, so that every node serves all of them.

Each feature module registers itself on import (``ops.register``,
``info.command``, ``node.multi_handlers``); add a line here for a new one.
"""

from aerospike_py.server import commands, control, info, ops  # noqa: F401
