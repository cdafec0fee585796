"""The example of integrations/flask_aerospike/README.md, run as shown."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "integrations" / "flask_aerospike" / "README.md"
README_CONFIG = '{"hosts": [("127.0.0.1", 3000)]}'


def readme_app(config: dict[str, Any]) -> Flask:
    """``create_app()`` of the README's first Python block, aimed at ``config``."""
    match = re.search(r"```python\n(.+?)\n```", README.read_text(), flags=re.S)
    assert match is not None
    code = match.group(1)
    assert README_CONFIG in code
    scope: dict[str, Any] = {"__name__": "readme_flask_aerospike"}
    exec(compile(code.replace(README_CONFIG, repr(config)), str(README), "exec"), scope)
    app: Flask = scope["create_app"]()
    return app


def test_the_readme_app_keeps_the_session_and_caches_the_view(aerospike_config):
    client = readme_app(aerospike_config).test_client()

    assert client.get("/me").json == {"user": None}
    assert client.post("/login/ada").json == {"user": "ada"}
    assert client.get("/me").json == {"user": "ada"}
    first = client.get("/nodes")
    assert first.json["nodes"] and client.get("/nodes").json == first.json
