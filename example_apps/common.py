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
# What a book form accepts; the same in every app.
TITLE_MAX_CHARS = 200
AUTHOR_MAX_CHARS = 100
YEAR_MIN, YEAR_MAX = 1, 2100


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


class InvalidBook(ValueError):
    """A submitted book the form refuses; the message says why, for the user."""


def book_bins(title: str, author: str, year: str) -> dict[str, Any]:
    """Check a submitted book and return its bins; raise InvalidBook if bad.

    Every app calls this before writing, so all three refuse the same input
    with the same message, and nothing the server would refuse (an integer
    past 64 bits, a record past its size limit) reaches it.
    """
    title, author, year = title.strip(), author.strip(), year.strip()
    _check_text(title, "a title", TITLE_MAX_CHARS)
    _check_text(author, "an author", AUTHOR_MAX_CHARS)
    return {"title": title, "author": author, "year": _year(year)}


def _check_text(value: str, field: str, limit: int) -> None:
    """Refuse an empty or over-long ``field`` ("a title", "an author")."""
    if not value:
        raise InvalidBook(f"a book needs {field}")
    if len(value) > limit:
        name = field.split()[-1]
        raise InvalidBook(
            f"the {name} is {len(value)} characters long; at most {limit} are allowed"
        )


def _year(text: str) -> int:
    """The year of a book; 0 when the form left it empty."""
    if not text:
        return 0
    # isdecimal() admits exactly the digits int() reads ("²" is not one);
    # the length check keeps int() from reading a thousand-digit number.
    digits = len(str(YEAR_MAX))
    if text.isdecimal() and len(text) <= digits and YEAR_MIN <= int(text) <= YEAR_MAX:
        return int(text)
    raise InvalidBook(f"the year must be a whole number from {YEAR_MIN} to {YEAR_MAX}")


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
