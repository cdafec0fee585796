"""The health route and dependency, for load balancers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI

from aerospike_py.server import EmbeddedServer
from fastapi_aerospike import Health, check_health, health_router, lifespan


def test_health_reports_ok_and_the_node_count(make_app, serve):
    app = make_app()
    app.include_router(health_router)
    client = serve(app)

    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["nodes"] == 1
    assert body["latency_ms"] >= 0
    assert client.head("/health").status_code == 200


def test_health_counts_every_node_of_the_cluster(serve):
    with EmbeddedServer(port=0, nodes=3) as server:
        app = FastAPI(lifespan=lifespan(server.client_config()))
        app.include_router(health_router, prefix="/db")

        response = serve(app).get("/db/health")

        assert response.json()["nodes"] == 3


def test_an_unreachable_cluster_is_a_503_with_the_same_body(
    private_server, private_settings, serve
):
    app = FastAPI(lifespan=lifespan(private_settings))
    app.include_router(health_router)
    client = serve(app)
    private_server.stop()

    response = client.get("/health")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "nodes": 0, "latency_ms": None}


def test_check_health_folds_into_an_apps_own_check(make_app, serve):
    app = make_app()

    @app.get("/ready")
    async def ready(aerospike: Annotated[Health, Depends(check_health)]) -> dict:
        return {"aerospike": aerospike.status, "queue": "ok"}

    assert serve(app).get("/ready").json() == {"aerospike": "ok", "queue": "ok"}


def test_the_openapi_schema_lists_health_once_without_warnings(make_app, serve):
    import warnings

    app = make_app()
    app.include_router(health_router)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schema = serve(app).get("/openapi.json").json()

    assert list(schema["paths"]["/health"]) == ["get"]
    assert serve(app).head("/health").status_code == 200
