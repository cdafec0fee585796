"""What the three example apps share: where Aerospike is, the demo account,
the "expensive" report, and the shape of a book record.

The apps are the same small library in Django, Flask and FastAPI: sign in,
list / add / edit / delete books (records of the ``books`` set), a report
whose slow part is cached, and a cluster status page.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from typing import Any

HOSTS_ENV = "AEROSPIKE_HOSTS"
NAMESPACE_ENV = "AEROSPIKE_NAMESPACE"
DEMO_USER = "demo"
DEMO_PASSWORD = os.environ.get("EXAMPLE_DEMO_PASSWORD", "demo-password")
REPORT_TTL = 60  # seconds the report stays cached
SECRET_KEY = os.environ.get("EXAMPLE_SECRET_KEY", "example-apps-not-for-production")


def client_config(embedded_hosts: list[tuple[str, int]] | None) -> dict[str, Any]:
    """The ClientConfig of every app: $AEROSPIKE_HOSTS, or the embedded server."""
    hosts = os.environ.get(HOSTS_ENV)
    if hosts:
        config: dict[str, Any] = {"hosts": [h.strip() for h in hosts.split(",") if h]}
        if os.environ.get("AEROSPIKE_USER"):
            config["user"] = os.environ["AEROSPIKE_USER"]
            config["password"] = os.environ.get("AEROSPIKE_PASSWORD", "")
        return config
    if embedded_hosts is None:
        raise RuntimeError(f"set {HOSTS_ENV} or start the embedded server")
    return {"hosts": list(embedded_hosts)}


def namespace() -> str:
    return os.environ.get(NAMESPACE_ENV, "test")


def check_password(username: str, password: str) -> bool:
    """The demo account: compared in constant time."""
    expected = hashlib.sha256(f"{DEMO_USER}:{DEMO_PASSWORD}".encode()).digest()
    given = hashlib.sha256(f"{username}:{password}".encode()).digest()
    return hmac.compare_digest(expected, given)


def expensive_report() -> dict[str, Any]:
    """A slow computation worth caching (about half a second)."""
    started = time.perf_counter()
    total = sum(i * i for i in range(1, 3_000_000))
    time.sleep(0.2)
    return {
        "sum_of_squares": total,
        "computed_at": time.strftime("%H:%M:%S"),
        "took_ms": round((time.perf_counter() - started) * 1000),
    }


def book_bins(title: str, author: str, year: str) -> dict[str, Any]:
    """Check a submitted book; raise ValueError with a message for the form."""
    title, author, year = title.strip(), author.strip(), year.strip()
    if not title:
        raise ValueError("a book needs a title")
    if not author:
        raise ValueError("a book needs an author")
    if year and not year.isdigit():
        raise ValueError("the year must be a number")
    return {"title": title, "author": author, "year": int(year) if year else 0}


def book_id(title: str) -> str:
    """A record key for a new book: readable and unique enough for a demo."""
    slug = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
    return f"{slug[:40]}-{os.urandom(3).hex()}"


def cluster_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for the status page from ``client.get_stats()``."""
    rows = []
    for node in stats["nodes"]:
        connections = node["connections"]
        rows.append(
            {
                "node": node["name"],
                "address": node["address"],
                "partitions": sum(node["partitions"].values()),
                "connections": connections["in_use"] + connections["in_pool"],
                "commands": node["commands"],
            }
        )
    return rows


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 46rem; }
nav a { margin-right: 1rem; } table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; }
.flash { background: #eef; padding: .5rem; }
.error { background: #fee; padding: .5rem; }
form.inline { display: inline; } input { margin: .2rem; }
"""
