"""A scripted visit of each example app over HTTP, one line per step.

Each step says what a user would do and what they must see; the run fails
when any step does not show it.
"""

from __future__ import annotations

import http.cookiejar
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from example_apps import common
from example_apps.runner import RunningApp


@dataclass
class Page:
    status: int
    url: str
    text: str


class Browser:
    """A cookie-keeping HTTP client that follows redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )
        self.last = Page(0, "", "")

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, form: dict[str, str]) -> Page:
        form = dict(form)
        token = self._csrf()
        if token:
            form["csrfmiddlewaretoken"] = token
        data = urllib.parse.urlencode(form).encode()
        return self._open(urllib.request.Request(self.base + path, data=data))

    def _csrf(self) -> str | None:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.last.text)
        return match.group(1) if match else None

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=30) as response:
                page = Page(response.status, response.url, response.read().decode())
        except urllib.error.HTTPError as error:
            page = Page(error.code, error.url, error.read().decode())
        self.last = page
        return page


class Failed(Exception):
    pass


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise Failed(what)


def _book_row(page: Page, title: str) -> bool:
    return f'class="title">{title}<' in page.text


def _book_id(page: Page, title: str) -> str:
    pattern = re.escape(f'class="title">{title}<') + r'.*?href="/books/([^/"]+)/edit"'
    match = re.search(pattern, page.text, flags=re.S)
    if match is None:
        raise Failed(f"no edit link for {title!r}")
    return match.group(1)


# Book forms every app must refuse with its form error (400), never a 500:
# what is posted, and the reason shown (None: any reason will do).
YEAR_RANGE = (
    f"the year must be a whole number from {common.YEAR_MIN} to {common.YEAR_MAX}"
)
TOO_LONG = common.TITLE_MAX_CHARS + 1
BAD_BOOKS: list[tuple[dict[str, str], str | None]] = [
    ({"year": "99999999999999999999"}, YEAR_RANGE),  # past a 64-bit integer
    ({"year": "\u00b2"}, YEAR_RANGE),  # "²": isdigit() but not int()
    ({"year": "-5"}, YEAR_RANGE),
    (
        {"title": "x" * TOO_LONG},
        f"the title is {TOO_LONG} characters long; "
        f"at most {common.TITLE_MAX_CHARS} are allowed",
    ),
    # Past the record size limit; FastAPI's form reader stops it first.
    ({"title": "x" * 1_100_000}, None),
    ({"author": " "}, "a book needs an author"),
]


def _form_error(page: Page, refused: str, reason: str | None) -> bool:
    """Whether ``page`` is a 400 whose error names the refusal and reason."""
    shown = f'class="error">{refused}: {reason or ""}'
    return page.status == 400 and shown in page.text


def _sign_out_control(page: Page) -> bool:
    """Whether the page's nav bar holds a sign-out button for the demo user."""
    nav = re.search(r"<nav\b.*?</nav>", page.text, flags=re.S)
    button = (
        r'<form\b[^>]*action="/logout".*?<button\b[^>]*>\s*Sign out\s+'
        + re.escape(common.DEMO_USER)
    )
    return nav is not None and re.search(button, nav.group(0), flags=re.S) is not None


def visit(app: RunningApp, out: TextIO) -> bool:
    """Run the scripted session on one app; True when every step passed."""
    browser = Browser(app.url)
    title = f"Check {app.name} {secrets.token_hex(3)}"
    state: dict[str, str] = {}

    def signed_out_redirects() -> None:
        page = browser.get("/books")
        _expect(page.url.endswith("/login") and "Sign in" in page.text, "login page")

    def wrong_password_refused() -> None:
        browser.get("/login")
        page = browser.post("/login", {"username": "demo", "password": "wrong"})
        _expect(page.status == 401 and "wrong user or password" in page.text, "401")

    def sign_in() -> None:
        browser.get("/login")
        form = {"username": common.DEMO_USER, "password": common.DEMO_PASSWORD}
        page = browser.post("/login", form)
        _expect(page.url.endswith("/books") and "<h2>Books</h2>" in page.text, "books")

    def nav_after_sign_in() -> None:
        _expect(_sign_out_control(browser.last), "a nav bar with a sign-out button")

    def add_book() -> None:
        form = {"title": title, "author": "Ada", "year": "1843"}
        page = browser.post("/books", form)
        _expect(_book_row(page, title), f"{title!r} listed")
        state["id"] = _book_id(page, title)

    def edit_book() -> None:
        page = browser.get(f"/books/{state['id']}/edit")
        _expect(title in page.text, "edit form with the title")
        form = {"title": title, "author": "Lovelace", "year": "1843"}
        page = browser.post(f"/books/{state['id']}", form)
        _expect(_book_row(page, title) and "Lovelace" in page.text, "new author")

    def bad_input_refused() -> None:
        browser.get("/books")
        for index, (fields, reason) in enumerate(BAD_BOOKS):
            form = {"title": f"{title} bad {index}", "author": "Ada", **fields}
            page = browser.post("/books", form)
            _expect(_form_error(page, "not added", reason), f"refused: {fields}"[:80])
            _expect(not _book_row(page, form["title"]), f"{form['title']!r} not added")
        form = {"title": title, "author": "Ada", "year": "\u00b2"}
        page = browser.post(f"/books/{state['id']}", form)
        _expect(_form_error(page, "not saved", YEAR_RANGE), "an edit refused too")

    def clear_cache_with_admin_command() -> None:
        code, output = app.admin(["cache", "clear", "--yes"])
        _expect(code == 0, f"admin command exit 0, got {code}: {output.strip()}")

    def report_miss_then_hit() -> None:
        first = browser.get("/report")
        _expect('id="cache-state">miss<' in first.text, "a miss after clearing")
        second = browser.get("/report")
        _expect('id="cache-state">hit<' in second.text, "a hit on reload")
        ttl = re.search(r'id="cache-ttl">(\d+)<', second.text)
        _expect(ttl is not None and 0 < int(ttl.group(1)) <= common.REPORT_TTL, "TTL")

    def cluster_status() -> None:
        page = browser.get("/status")
        _expect('id="nodes"' in page.text and "4096" in page.text, "node row")

    def delete_book() -> None:
        page = browser.post(f"/books/{state['id']}/delete", {})
        _expect(not _book_row(page, title), f"{title!r} gone")

    def admin_ping() -> None:
        code, output = app.admin(["ping"])
        _expect(code == 0 and "ok" in output, f"ping ok, got {output.strip()}")

    def sign_out() -> None:
        browser.get("/books")
        page = browser.post("/logout", {})
        _expect(page.url.endswith("/login"), "back at the login page")
        page = browser.get("/books")
        _expect(page.url.endswith("/login"), "books need signing in again")

    steps: list[tuple[str, Callable[[], None]]] = [
        ("signed-out visit redirects to sign-in", signed_out_redirects),
        ("wrong password is refused", wrong_password_refused),
        ("sign in with the demo account", sign_in),
        ("signed in: the nav bar offers sign-out", nav_after_sign_in),
        ("add a book and see it listed", add_book),
        ("edit the book", edit_book),
        ("bad book input gets the form's error", bad_input_refused),
        ("admin command: cache clear", clear_cache_with_admin_command),
        ("report: miss, then a cache hit on reload", report_miss_then_hit),
        ("cluster status lists the nodes", cluster_status),
        ("delete the book", delete_book),
        ("admin command: ping", admin_ping),
        ("sign out", sign_out),
    ]
    passed = True
    for label, step in steps:
        try:
            step()
        except (Failed, OSError, KeyError) as exc:
            out.write(f"FAIL {app.name:8} {label}: {exc}\n")
            passed = False
            break
        out.write(f"ok   {app.name:8} {label}\n")
    return passed
