"""The FastAPI example of README.md, run as it is shown."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "README.md"
README_HOSTS = '[("127.0.0.1", 3000)]'


def readme_app(hosts: list) -> object:
    """The app of the README's FastAPI snippet, aimed at ``hosts``."""
    section = README.read_text().split("**FastAPI**:", 1)[1]
    match = re.search(r"```python\n(.+?)\n```", section, flags=re.S)
    assert match is not None
    snippet = match.group(1)
    assert README_HOSTS in snippet
    namespace: dict = {}
    code = snippet.replace(README_HOSTS, repr(hosts))
    exec(compile(code, str(README), "exec"), namespace)
    return namespace["app"]


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
    assert response.json() == {"detail": "Not Found"}


def test_the_readme_app_serves_a_stored_user(
    aerospike_config, aerospike_client, serve, user_key
):
    aerospike_client.put(user_key, {"name": "Ada"})
    client = serve(readme_app(aerospike_config["hosts"]))

    responses = [client.get(f"/users/{user_key[2]}") for _ in range(2)]

    assert [r.json() for r in responses] == [{"name": "Ada"}] * 2
    assert [r.headers["x-cache"] for r in responses] == ["MISS", "HIT"]
    assert client.get("/health").json()["status"] == "ok"
