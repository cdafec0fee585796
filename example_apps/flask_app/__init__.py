"""The example library in Flask: the extension, Flask-Caching and sessions.

flask --app "example_apps.flask_app:create_app()" run
flask --app "example_apps.flask_app:create_app()" aerospike nodes
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from flask import (
    Flask,
    flash,
    redirect,
    render_template_string,
    request,
    session,
    url_for,
)
from flask_caching import Cache

import aerospike_py
from aerospike_py.exception import RecordNotFound
from example_apps import common
from flask_aerospike import Aerospike, regenerate_session
from flask_aerospike.cache import AerospikeCache

aerospike = Aerospike()
cache = Cache()

BOOKS = "flask_books"

LAYOUT = """<!doctype html><html><head><meta charset="utf-8">
<title>{{ title }} - Flask library</title><style>{{ style }}</style></head><body>
<h1>Flask library</h1>
{% if session.get('user') %}<nav><a href="/books">Books</a><a href="/report">Report</a>
<a href="/status">Cluster</a>
<form class="inline" method="post" action="/logout"><button>Sign out
{{ session['user'] }}</button></form></nav>{% endif %}
{% for message in get_flashed_messages() %}
<p class="flash">{{ message }}</p>{% endfor %}
{% if error %}<p class="error">{{ error }}</p>{% endif %}
{{ body|safe }}</body></html>"""

LOGIN = """<h2>Sign in</h2><form method="post">
<input name="username" placeholder="user" autofocus>
<input name="password" type="password" placeholder="password">
<button id="sign-in">Sign in</button></form>"""

BOOK_LIST = """<h2>Books</h2><table id="books"><tr><th>Title</th><th>Author</th>
<th>Year</th><th></th></tr>
{% for book in books %}<tr><td class="title">{{ book.title }}</td>
<td>{{ book.author }}</td><td>{{ book.year or '' }}</td>
<td><a href="/books/{{ book.id }}/edit">edit</a>
<form class="inline" method="post" action="/books/{{ book.id }}/delete">
<button>delete</button></form></td></tr>{% endfor %}</table>
<h3>Add a book</h3><form method="post" action="/books">
<input name="title" placeholder="title"><input name="author" placeholder="author">
<input name="year" placeholder="year"><button id="add-book">Add</button></form>"""

EDIT = """<h2>Edit</h2><form method="post" action="/books/{{ book_id }}">
<input name="title" value="{{ book.title }}">
<input name="author" value="{{ book.author }}">
<input name="year" value="{{ book.year or '' }}"><button>Save</button></form>"""

REPORT = """<h2>Report</h2><p>Cache: <strong id="cache-state">{{ state }}</strong>,
expires in <span id="cache-ttl">{{ ttl }}</span> s</p>
<p>Sum of squares: {{ report.sum_of_squares }} (computed at {{ report.computed_at }}
in {{ report.took_ms }} ms)</p>"""

STATUS = """<h2>Cluster</h2><table id="nodes"><tr><th>Node</th><th>Address</th>
<th>Partitions</th><th>Connections</th><th>Commands</th></tr>
{% for row in rows %}<tr><td>{{ row.node }}</td><td>{{ row.address }}</td>
<td>{{ row.partitions }}</td><td>{{ row.connections }}</td><td>{{ row.commands }}</td>
</tr>{% endfor %}</table><p>Namespace: {{ namespace }}</p>"""


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` is the ClientConfig (default: $AEROSPIKE_HOSTS)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=common.SECRET_KEY,
        AEROSPIKE=config or common.client_config(None),
        AEROSPIKE_NAMESPACE=common.namespace(),
        AEROSPIKE_SESSIONS=True,
        AEROSPIKE_SESSION_SET="flask_sessions",
        CACHE_TYPE="flask_aerospike.cache.AerospikeCache",
        CACHE_DEFAULT_TIMEOUT=common.REPORT_TTL,
        CACHE_KEY_PREFIX="flask:",
        CACHE_OPTIONS={"set": "flask_cache"},
    )
    aerospike.init_app(app)
    cache.init_app(app)
    _routes(app)
    return app


def _page(title: str, body: str, error: str | None = None, **context: Any) -> str:
    inner = render_template_string(body, **context)
    return render_template_string(
        LAYOUT, title=title, body=inner, error=error, style=common.STYLE
    )


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not session.get("user"):
            return redirect(url_for("login"))
        return view(*args, **kwargs)

    return wrapper


def _key(book_id: str) -> tuple[str, str, str]:
    return (aerospike.namespace, BOOKS, book_id)


def _books_page(error: str | None = None) -> tuple[str, int]:
    """The book list and the add form; with ``error``, a refused form (400)."""
    query = aerospike.client.query(aerospike.namespace, BOOKS)
    rows = [
        {"id": r.key.user_key, **(r.bins or {})}
        for r in query.results()
        if r.key is not None
    ]
    rows.sort(key=lambda row: row.get("title", ""))
    return _page("Books", BOOK_LIST, error=error, books=rows), 400 if error else 200


def _edit_page(book_id: str, error: str | None = None) -> tuple[str, int]:
    """The edit form of a stored book; with ``error``, a refused form (400)."""
    try:
        book = aerospike.client.get(_key(book_id)).bins
    except RecordNotFound:
        return _page("Edit", "<p>No such book.</p>"), 404
    page = _page("Edit", EDIT, error=error, book=book, book_id=book_id)
    return page, 400 if error else 200


def _submitted_book() -> dict[str, Any]:
    form = request.form
    return common.book_bins(
        form.get("title", ""), form.get("author", ""), form.get("year", "")
    )


def _routes(app: Flask) -> None:
    @app.get("/")
    def index() -> Any:
        return redirect(url_for("books"))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "GET":
            return _page("Sign in", LOGIN)
        username = request.form.get("username", "")
        if not common.check_password(username, request.form.get("password", "")):
            return _page("Sign in", LOGIN, error="wrong user or password"), 401
        regenerate_session()  # a new session id at sign-in: no fixation
        session["user"] = username
        return redirect(url_for("books"))

    @app.post("/logout")
    def logout() -> Any:
        session.clear()
        return redirect(url_for("login"))

    @app.get("/books")
    @login_required
    def books() -> Any:
        return _books_page()

    @app.post("/books")
    @login_required
    def add_book() -> Any:
        try:
            bins = _submitted_book()
        except common.InvalidBook as exc:
            return _books_page(error=f"not added: {exc}")
        aerospike.client.put(
            _key(common.book_id(bins["title"])),
            bins,
            policy={"key": aerospike_py.POLICY_KEY_SEND},
        )
        flash(f"added {bins['title']}")
        return redirect(url_for("books"))

    @app.get("/books/<book_id>/edit")
    @login_required
    def edit_book(book_id: str) -> Any:
        return _edit_page(book_id)

    @app.post("/books/<book_id>")
    @login_required
    def update_book(book_id: str) -> Any:
        try:
            bins = _submitted_book()
        except common.InvalidBook as exc:
            return _edit_page(book_id, error=f"not saved: {exc}")
        try:
            aerospike.client.put(
                _key(book_id),
                bins,
                policy={"exists": aerospike_py.POLICY_EXISTS_UPDATE_ONLY},
            )
        except RecordNotFound:
            flash("that book was deleted meanwhile")
        return redirect(url_for("books"))

    @app.post("/books/<book_id>/delete")
    @login_required
    def delete_book(book_id: str) -> Any:
        try:
            aerospike.client.remove(_key(book_id))
            flash("deleted")
        except RecordNotFound:
            flash("already gone")
        return redirect(url_for("books"))

    @app.get("/report")
    @login_required
    def report() -> Any:
        value = cache.get("report")
        state = "hit"
        if value is None:
            state = "miss"
            value = common.expensive_report()
            cache.set("report", value)
        ttl = cast(AerospikeCache, cache.cache).ttl("report")
        return _page("Report", REPORT, state=state, ttl=ttl, report=value)

    @app.get("/status")
    @login_required
    def status() -> Any:
        rows = common.cluster_rows(aerospike.client.get_stats())
        return _page("Cluster", STATUS, rows=rows, namespace=aerospike.namespace)
