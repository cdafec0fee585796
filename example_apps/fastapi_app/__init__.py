"""The example library in FastAPI: lifespan, dependency injection, a typed
collection, response caching, server-side sessions, health and the CLI.

    uvicorn example_apps.fastapi_app:app
    python -m fastapi_aerospike --app example_apps.fastapi_app:settings nodes
"""

from __future__ import annotations

import html
import io
import re
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from example_apps import common
from fastapi_aerospike import (
    AerospikeCache,
    AerospikeClient,
    AerospikeSettings,
    Collection,
    ModelNotFound,
    SessionMiddleware,
    cached,
    collection,
    health_router,
    lifespan,
    regenerate_session_id,
)
from fastapi_aerospike import __main__ as admin_cli


class Book(BaseModel):
    id: str
    title: str
    author: str
    year: int = 0


settings = AerospikeSettings(
    client=common.client_config(None),
    namespace=common.namespace(),
    cache_set="fastapi_cache",
    cache_ttl=common.REPORT_TTL,
    session_set="fastapi_sessions",
)
app = FastAPI(title="FastAPI library", lifespan=lifespan(settings))
app.add_middleware(SessionMiddleware, secret_key=common.SECRET_KEY)
app.include_router(health_router)

# The routes a book form posts to: add (/books) and save (/books/ID).
BOOK_FORM = re.compile(r"/books(/[^/]+)?")

Books = Annotated[Collection[Book], Depends(collection(Book, set_name="fastapi_books"))]


def run_admin(argv: list[str]) -> tuple[int, str]:
    """Run an admin command the way ``python -m fastapi_aerospike`` does."""
    out = io.StringIO()
    code = admin_cli.main(
        ["--app", "example_apps.fastapi_app:settings", *argv], out=out, err=out
    )
    return code, out.getvalue()


def page(
    request: Request,
    title: str,
    body: str,
    status: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    user = request.session.get("user")
    nav = ""
    if user:
        nav = (
            '<nav><a href="/books">Books</a><a href="/report">Report</a>'
            '<a href="/status">Cluster</a><form class="inline" method="post" '
            f'action="/logout"><button>Sign out {html.escape(user)}</button>'
            "</form></nav>"
        )
    flashes = "".join(
        f'<p class="flash">{html.escape(m)}</p>'
        for m in request.session.pop("flash", [])
    )
    refusal = f'<p class="error">{html.escape(error)}</p>' if error else ""
    document = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title} - '
        f"FastAPI library</title><style>{common.STYLE}</style></head><body>"
        f"<h1>FastAPI library</h1>{nav}{flashes}{refusal}{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status)


def flash(request: Request, message: str) -> None:
    request.session["flash"] = [*request.session.get("flash", []), message]


def signed_in(request: Request) -> bool:
    return bool(request.session.get("user"))


def to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


LOGIN = """<h2>Sign in</h2>{error}<form method="post">
<input name="username" placeholder="user" autofocus>
<input name="password" type="password" placeholder="password">
<button id="sign-in">Sign in</button></form>"""


@app.get("/")
async def index() -> RedirectResponse:
    return RedirectResponse("/books", status_code=303)


@app.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    return page(request, "Sign in", LOGIN.format(error=""))


@app.post("/login", response_model=None)
async def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    if not common.check_password(username, password):
        error = '<p class="error">wrong user or password</p>'
        return page(request, "Sign in", LOGIN.format(error=error), status=401)
    regenerate_session_id(request)  # a new session id at sign-in: no fixation
    request.session["user"] = username
    return RedirectResponse("/books", status_code=303)


@app.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return to_login()


def _book_rows(books: list[Book]) -> str:
    rows = []
    for book in sorted(books, key=lambda b: b.title):
        book_id = html.escape(book.id)
        rows.append(
            f'<tr><td class="title">{html.escape(book.title)}</td>'
            f"<td>{html.escape(book.author)}</td><td>{book.year or ''}</td>"
            f'<td><a href="/books/{book_id}/edit">edit</a><form class="inline" '
            f'method="post" action="/books/{book_id}/delete"><button>delete</button>'
            "</form></td></tr>"
        )
    return "".join(rows)


@app.get("/books", response_model=None)
async def list_books(request: Request, books: Books) -> Response:
    if not signed_in(request):
        return to_login()
    return await books_page(request, books)


async def books_page(
    request: Request, books: Books, error: str | None = None
) -> HTMLResponse:
    """The book list and the add form; with ``error``, a refused form (400)."""
    body = (
        '<h2>Books</h2><table id="books"><tr><th>Title</th><th>Author</th>'
        f"<th>Year</th><th></th></tr>{_book_rows(await books.all())}</table>"
        '<h3>Add a book</h3><form method="post" action="/books">'
        '<input name="title" placeholder="title"><input name="author" '
        'placeholder="author"><input name="year" placeholder="year">'
        '<button id="add-book">Add</button></form>'
    )
    return page(request, "Books", body, status=400 if error else 200, error=error)


@app.post("/books", response_model=None)
async def add_book(
    request: Request,
    books: Books,
    title: Annotated[str, Form()] = "",
    author: Annotated[str, Form()] = "",
    year: Annotated[str, Form()] = "",
) -> Response:
    if not signed_in(request):
        return to_login()
    try:
        bins = common.book_bins(title, author, year)
    except common.InvalidBook as exc:
        return await books_page(request, books, error=f"not added: {exc}")
    await books.create(Book(id=common.book_id(bins["title"]), **bins))
    flash(request, f"added {bins['title']}")
    return RedirectResponse("/books", status_code=303)


@app.get("/books/{book_id}/edit", response_model=None)
async def edit_book(request: Request, book_id: str, books: Books) -> Response:
    if not signed_in(request):
        return to_login()
    return await edit_page(request, book_id, books)


async def edit_page(
    request: Request, book_id: str, books: Books, error: str | None = None
) -> HTMLResponse:
    """The edit form of a stored book; with ``error``, a refused form (400)."""
    book = await books.get(book_id)  # ModelNotFound answers 404
    body = (
        f'<h2>Edit</h2><form method="post" action="/books/{html.escape(book_id)}">'
        f'<input name="title" value="{html.escape(book.title)}">'
        f'<input name="author" value="{html.escape(book.author)}">'
        f'<input name="year" value="{book.year or ""}"><button>Save</button></form>'
    )
    return page(request, "Edit", body, status=400 if error else 200, error=error)


@app.post("/books/{book_id}", response_model=None)
async def update_book(
    request: Request,
    book_id: str,
    books: Books,
    title: Annotated[str, Form()] = "",
    author: Annotated[str, Form()] = "",
    year: Annotated[str, Form()] = "",
) -> Response:
    if not signed_in(request):
        return to_login()
    try:
        bins = common.book_bins(title, author, year)
    except common.InvalidBook as exc:
        return await edit_page(request, book_id, books, error=f"not saved: {exc}")
    try:
        await books.update(book_id, bins)
    except ModelNotFound:
        flash(request, "that book was deleted meanwhile")
    return RedirectResponse("/books", status_code=303)


@app.exception_handler(StarletteHTTPException)
async def unreadable_book_form(
    request: Request, exc: StarletteHTTPException
) -> Response:
    """Answer a book form FastAPI could not read with the form's error.

    Starlette stops a form field over 1 MiB before the endpoint runs and
    answers JSON; a person who pasted a huge title gets the HTML error
    page of every other refused form instead. Every other HTTP error keeps
    FastAPI's answer.
    """
    path = request.url.path
    is_book_form = request.method == "POST" and BOOK_FORM.fullmatch(path)
    if exc.status_code != 400 or not is_book_form or not signed_in(request):
        return await http_exception_handler(request, exc)
    refused = "not added" if path == "/books" else "not saved"
    back = "/books" if path == "/books" else f"{path}/edit"
    body = f'<p><a href="{html.escape(back)}">Back to the form</a></p>'
    error = f"{refused}: the form could not be read ({exc.detail})"
    return page(request, "Books", body, status=400, error=error)


@app.post("/books/{book_id}/delete", response_model=None)
async def delete_book(request: Request, book_id: str, books: Books) -> Response:
    if not signed_in(request):
        return to_login()
    try:
        await books.delete(book_id)
        flash(request, "deleted")
    except ModelNotFound:
        flash(request, "already gone")
    return RedirectResponse("/books", status_code=303)


@app.get("/report", response_model=None)
async def report(request: Request, cache: AerospikeCache) -> Response:
    if not signed_in(request):
        return to_login()
    found, value, ttl = await cache.get_with_ttl("report")
    state = "hit" if found else "miss"
    if not found:
        value = common.expensive_report()
        await cache.set("report", value, common.REPORT_TTL)
        ttl = common.REPORT_TTL
    body = (
        f'<h2>Report</h2><p>Cache: <strong id="cache-state">{state}</strong>, '
        f'expires in <span id="cache-ttl">{ttl}</span> s</p>'
        f"<p>Sum of squares: {value['sum_of_squares']} (computed at "
        f"{value['computed_at']} in {value['took_ms']} ms)</p>"
    )
    return page(request, "Report", body)


@app.get("/api/report")
@cached(ttl=common.REPORT_TTL)
async def api_report() -> dict[str, Any]:
    """The report as JSON, cached whole by the ``cached`` decorator (ETag)."""
    return common.expensive_report()


@app.get("/status", response_model=None)
async def status(request: Request, client: AerospikeClient) -> Response:
    if not signed_in(request):
        return to_login()
    rows = "".join(
        f"<tr><td>{r['node']}</td><td>{r['address']}</td><td>{r['partitions']}</td>"
        f"<td>{r['connections']}</td><td>{r['commands']}</td></tr>"
        for r in common.cluster_rows(client.get_stats())
    )
    body = (
        '<h2>Cluster</h2><table id="nodes"><tr><th>Node</th><th>Address</th>'
        "<th>Partitions</th><th>Connections</th><th>Commands</th></tr>"
        f"{rows}</table><p>Namespace: {html.escape(settings.namespace)}</p>"
    )
    return page(request, "Cluster", body)
