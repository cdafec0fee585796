"""Health for load balancers: is the cluster reachable, and how many nodes.

    app.include_router(health_router)                 # GET/HEAD /health
    app.include_router(health_router, prefix="/db")   # GET/HEAD /db/health

The route answers 200 when a node answers a ping and 503 otherwise, with
the same small JSON body either way; ``check_health`` is the dependency
behind it, for apps that fold Aerospike into a health check of their own.
The check never raises for an unreachable cluster: it reports
"unavailable" with 0 nodes. A client not connected at startup
(``connect_at_startup=False``) tries to connect on each check until it
succeeds.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel
from starlette.requests import HTTPConnection

from aerospike_py.exception import AerospikeError
from fastapi_aerospike._lifespan import runtime_of

log = logging.getLogger("fastapi_aerospike")


class Health(BaseModel):
    """The state of the app's Aerospike cluster.

    ``nodes`` counts the cluster's nodes when one answered, and is 0 when
    none did.
    """

    status: Literal["ok", "unavailable"]
    nodes: int
    latency_ms: float | None = None


async def check_health(connection: HTTPConnection) -> Health:
    """Ping the cluster and count its nodes (a FastAPI dependency)."""
    runtime = runtime_of(connection.scope)
    try:
        client = await runtime.connected_client()
    except AerospikeError as exc:
        log.debug("health: Aerospike not connected (%s)", exc)
        return Health(status="unavailable", nodes=0)
    start = time.perf_counter()
    if not await client.ping():
        return Health(status="unavailable", nodes=0)
    elapsed = round((time.perf_counter() - start) * 1000, 2)
    return Health(status="ok", nodes=len(client.get_node_names()), latency_ms=elapsed)


health_router = APIRouter(tags=["health"])


@health_router.get(
    "/health",
    responses={503: {"model": Health, "description": "Aerospike is unreachable"}},
)
async def aerospike_health(
    response: Response, health: Annotated[Health, Depends(check_health)]
) -> Health:
    """Report whether Aerospike answers (200) or not (503)."""
    if health.status != "ok":
        response.status_code = 503
    return health


# HEAD answers like GET; it stays out of the schema so the OpenAPI document
# holds one operation per id.
health_router.add_api_route(
    "/health", aerospike_health, methods=["HEAD"], include_in_schema=False
)
