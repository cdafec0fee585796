"""Run the admin commands for a FastAPI app: ``python -m fastapi_aerospike``."""

import sys

from fastapi_aerospike._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
