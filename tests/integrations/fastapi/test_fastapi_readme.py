"""The FastAPI examples of README.md and of the integration's README, run
as they are shown."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
INTEGRATION_README = ROOT / "integrations" / "fastapi_aerospike" / "README.md"
README_HOSTS = '[("127.0.0.1", 3000)]'


def snippet_app(path: Path, text: str, hosts: list) -> object:
    """The ``app`` of the first Python block of ``text``, aimed at ``hosts``."""
    match = re.search(r"```python\n(.+?)\n```", text, flags=re.S)
    assert match is not None
    snippet = match.group(1)
    assert README_HOSTS in snippet
    namespace: dict = {"__name__": f"readme_{path.parent.name}"}
    code = snippet.replace(README_HOSTS, repr(hosts))
    exec(compile(code, str(path), "exec"), namespace)
    return namespace["app"]


def readme_app(hosts: list) -> object:
    """The app of the README's FastAPI snippet, aimed at ``hosts``."""
    section = README.read_text().split("**FastAPI**", 1)[1]
    return snippet_app(README, section, hosts)


@pytest.fixture
def user_key(aerospike_client):
    key = ("test", "users", f"readme-{uuid.uuid4().hex}")
    yield key
    if aerospike_client.exists(key).meta is not None:
        aerospike_client.remove(key)


def test_the_readme_app_answers_a_missing_user_with_404(
    aerospike_config, serve, user_key
):
    client = serve(readme_app(aerospike_config["hosts"]))

    response = client.get(f"/users/{user_key[2]}")

    assert response.status_code == 404
    assert response.json() == {"detail": "record not found"}


def test_the_readme_app_serves_a_stored_user(
    aerospike_config, aerospike_client, serve, user_key
):
    aerospike_client.put(user_key, {"name": "Ada"})
    client = serve(readme_app(aerospike_config["hosts"]))

    responses = [client.get(f"/users/{user_key[2]}") for _ in range(2)]

    assert [r.json() for r in responses] == [{"name": "Ada"}] * 2
    assert [r.headers["x-cache"] for r in responses] == ["MISS", "HIT"]
    assert client.get("/health").json()["status"] == "ok"


def test_the_readme_app_gives_each_request_a_deadline(private_server, serve):
    client = serve(readme_app(private_server.hosts))
    private_server.delay_replies(0.2)
    uncached = {"Cache-Control": "no-store"}
    shortened = {**uncached, "X-Request-Timeout-Ms": "100"}

    assert client.get("/users/nobody", headers=uncached).status_code == 404
    assert client.get("/users/nobody", headers=shortened).status_code == 504

    private_server.delay_replies(2.0)
    start = time.perf_counter()
    response = client.get("/users/nobody", headers=uncached)

    assert response.status_code == 504
    assert response.json() == {"detail": "Aerospike did not answer in time"}
    assert time.perf_counter() - start < 1.5  # the 500 ms of request_timeout_ms


@pytest.fixture
def page_key(aerospike_client):
    page = f"readme-{uuid.uuid4().hex}"
    yield page
    for set_name in ("pages", "books"):
        key = ("test", set_name, page)
        if aerospike_client.exists(key).meta is not None:
            aerospike_client.remove(key)


def test_the_integration_readme_app_runs_as_written(
    aerospike_config, aerospike_client, serve, page_key
):
    app = snippet_app(
        INTEGRATION_README, INTEGRATION_README.read_text(), aerospike_config["hosts"]
    )
    client = serve(app)

    assert [client.put(f"/visits/{page_key}").json() for _ in range(2)] == [1, 2]
    assert aerospike_client.get(("test", "pages", page_key)).bins == {"n": 2}
    assert client.get(f"/books/{page_key}").status_code == 404
    book = {"id": page_key, "title": "Dune"}
    aerospike_client.put(("test", "books", page_key), book)
    answers = [client.get(f"/books/{page_key}") for _ in range(2)]
    assert [r.json() for r in answers] == [book, book]
    assert [r.headers["X-Cache"] for r in answers] == ["MISS", "HIT"]
    assert "session" in client.post("/login/ada").cookies
    assert client.get("/health").json()["status"] == "ok"
