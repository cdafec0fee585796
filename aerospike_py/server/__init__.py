"""An in-memory, Aerospike-compatible server for development and tests.

Start it in-process with :class:`EmbeddedServer`, or as a process with
``python -m aerospike_py.server --port 3000 --namespace test``.
"""

from aerospike_py.server.embedded import EmbeddedServer
from aerospike_py.server.storage import NamespaceConfig

__all__ = ["EmbeddedServer", "NamespaceConfig"]
