"""README.md holds exactly two set-up commands, and CI runs the second;
its client and Flask snippets run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)


def _snippet(title: str) -> str:
    """The first Python block after the bold ``title`` in README.md."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"**{title}**", 1)[1]
    match = re.search(r"```python\n(.+?)\n```", section, flags=re.S)
    assert match is not None, f"no Python snippet after **{title}**"
    return match.group(1)


def test_readme_has_exactly_two_setup_commands():
    commands = _commands()
    assert len(commands) == 2
    assert commands[0].endswith("python -m example_apps")
    assert commands[1].endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = _commands()[1].replace("pip install -e", "pip install -q -e")
    assert test_command in ci


def test_the_flask_snippet_runs_as_written(aerospike_config: dict[str, Any]) -> None:
    written = '{"hosts": [("127.0.0.1", 3000)]}'
    code = _snippet("Flask")
    assert written in code
    # Only the address changes: the test server listens on a free port.
    code = code.replace(written, repr(aerospike_config))
    scope: dict[str, Any] = {"__name__": "readme_flask"}
    exec(compile(code, "README.md", "exec"), scope)

    client = scope["app"].test_client()
    assert client.get("/visits").json == {"visits": 1}
    assert client.get("/visits").json == {"visits": 2}
    nodes = client.get("/nodes").json["nodes"]
    assert nodes and client.get("/nodes").json == {"nodes": nodes}


def test_the_client_snippet_runs_as_written(aerospike_config, capsys) -> None:
    text = (ROOT / "README.md").read_text()
    section = text.split("## The client", 1)[1]
    match = re.search(r"```python\n(.+?)\n```", section, flags=re.S)
    assert match is not None
    written = '{"hosts": [("127.0.0.1", 3000)]}'
    code = match.group(1)
    assert written in code
    code = code.replace(written, repr(aerospike_config))
    try:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme_client"})
    finally:
        import aerospike_py

        with aerospike_py.client(aerospike_config).connect() as client:
            client.index_remove("test", "users_visits")
            client.truncate("test", "users", 0)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] in (
        "{'name': 'Ada', 'visits': 1} 1 3600",
        "{'name': 'Ada', 'visits': 1} 1 3599",
    )
    assert lines[1].startswith("ada 0 Record(")  # found
    assert lines[2] == "nobody 2 None"
    assert lines[3] == "['Ada']"
