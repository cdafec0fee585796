"""Views of the example site: plain Django over the Aerospike client."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

import aerospike_py
from aerospike_py.exception import RecordNotFound
from django_aerospike import get_client
from example_apps import common

BOOKS = "django_books"
View = Callable[..., HttpResponse]


def _namespace() -> str:
    return str(settings.CACHES["default"]["OPTIONS"]["namespace"])


def _key(book_id: str) -> tuple[str, str, str]:
    return (_namespace(), BOOKS, book_id)


def login_required(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.session.get("user"):
            return redirect("login")
        return view(request, *args, **kwargs)

    return wrapper


def index(request: HttpRequest) -> HttpResponse:
    return redirect("books")


def login(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "login.html")
    username = request.POST.get("username", "")
    if not common.check_password(username, request.POST.get("password", "")):
        return render(
            request, "login.html", {"error": "wrong user or password"}, status=401
        )
    request.session.cycle_key()  # a new session key at sign-in: no fixation
    request.session["user"] = username
    return redirect("books")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("login")


@login_required
def books(request: HttpRequest) -> HttpResponse:
    client = get_client("default")
    if request.method == "POST":
        return _add_book(request, client)
    return _books_page(request, client)


def _books_page(
    request: HttpRequest, client: aerospike_py.Client, error: str | None = None
) -> HttpResponse:
    """The book list and the add form; with ``error``, a refused form (400)."""
    rows = [
        {"id": r.key.user_key, **(r.bins or {})}
        for r in client.query(_namespace(), BOOKS).results()
        if r.key is not None
    ]
    rows.sort(key=lambda row: row.get("title", ""))
    context = {"books": rows, "error": error}
    return render(request, "books.html", context, status=400 if error else 200)


def _add_book(request: HttpRequest, client: aerospike_py.Client) -> HttpResponse:
    try:
        bins = _submitted_book(request)
    except common.InvalidBook as exc:
        return _books_page(request, client, error=f"not added: {exc}")
    key = _key(common.book_id(bins["title"]))
    client.put(key, bins, policy={"key": aerospike_py.POLICY_KEY_SEND})
    messages.info(request, f"added {bins['title']}")
    return redirect("books")


def _submitted_book(request: HttpRequest) -> dict[str, Any]:
    form = request.POST
    return common.book_bins(
        form.get("title", ""), form.get("author", ""), form.get("year", "")
    )


@login_required
def edit_book(request: HttpRequest, book_id: str) -> HttpResponse:
    return _edit_page(request, book_id)


def _edit_page(
    request: HttpRequest, book_id: str, error: str | None = None
) -> HttpResponse:
    """The edit form of a stored book; with ``error``, a refused form (400)."""
    try:
        book = get_client("default").get(_key(book_id)).bins
    except RecordNotFound:
        return HttpResponse("No such book.", status=404)
    context = {"book": book, "book_id": book_id, "error": error}
    return render(request, "edit.html", context, status=400 if error else 200)


@require_POST
@login_required
def update_book(request: HttpRequest, book_id: str) -> HttpResponse:
    try:
        bins = _submitted_book(request)
    except common.InvalidBook as exc:
        return _edit_page(request, book_id, error=f"not saved: {exc}")
    try:
        policy = {"exists": aerospike_py.POLICY_EXISTS_UPDATE_ONLY}
        get_client("default").put(_key(book_id), bins, policy=policy)
    except RecordNotFound:
        messages.error(request, "that book was deleted meanwhile")
    return redirect("books")


@require_POST
@login_required
def delete_book(request: HttpRequest, book_id: str) -> HttpResponse:
    try:
        get_client("default").remove(_key(book_id))
        messages.info(request, "deleted")
    except RecordNotFound:
        messages.info(request, "already gone")
    return redirect("books")


@login_required
def report(request: HttpRequest) -> HttpResponse:
    value = cache.get("report")
    state = "hit"
    if value is None:
        state = "miss"
        value = common.expensive_report()
        cache.set("report", value)
    ttl = cache.ttl("report")  # type: ignore[attr-defined]
    return render(request, "report.html", {"state": state, "ttl": ttl, "report": value})


@login_required
def status(request: HttpRequest) -> HttpResponse:
    rows = common.cluster_rows(get_client("default").get_stats())
    return render(request, "status.html", {"rows": rows, "namespace": _namespace()})
