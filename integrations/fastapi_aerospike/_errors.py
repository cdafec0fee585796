"""Aerospike errors as HTTP answers, translated in one place.

    AerospikeTimeoutError            -> 504 {"detail": "..."}
    ClusterError, BackpressureError  -> 503
    ModelNotFound                    -> 404   (collection helpers)
    ModelExists, ModelConflict       -> 409   (collection helpers)
    RecordNotFound                   -> 404 {"detail": "record not found"}
                                              (exception_handlers only)

Anything else keeps propagating. The dependencies of this package apply
the table to errors raised while they are in use; ``exception_handlers``
applies it to a whole app (``FastAPI(exception_handlers=...)``). Only the
app can say that a plain ``RecordNotFound`` escaping an endpoint means
the resource is missing, so the dependencies leave it alone and the
handlers, which the app registers, answer it with 404. Its detail says
that a record is missing, so a client can tell it from FastAPI's 404 for
an unknown path ("Not Found"), and names nothing more: the key may be
something the caller should not learn.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aerospike_py.exception import (
    AerospikeError,
    AerospikeTimeoutError,
    BackpressureError,
    ClusterError,
    RecordExistsError,
    RecordGenerationError,
    RecordNotFound,
)

log = logging.getLogger("fastapi_aerospike")

TIMED_OUT = "Aerospike did not answer in time"
UNAVAILABLE = "Aerospike is unavailable"
RECORD_NOT_FOUND = "record not found"


class ModelNotFound(RecordNotFound):
    """A collection has no record under the key asked for (HTTP 404)."""


class ModelExists(RecordExistsError):
    """A collection refused to create a record that exists (HTTP 409)."""


class ModelConflict(RecordGenerationError):
    """A record changed between a collection's read and write (HTTP 409)."""


def http_status(exc: BaseException) -> tuple[int, str] | None:
    """The status and short message for an Aerospike error, if it has one."""
    if isinstance(exc, AerospikeTimeoutError):
        return 504, TIMED_OUT
    if isinstance(exc, (ClusterError, BackpressureError)):
        return 503, UNAVAILABLE
    if isinstance(exc, ModelNotFound):
        return 404, str(exc)
    if isinstance(exc, (ModelExists, ModelConflict)):
        return 409, str(exc)
    return None


def as_http_exception(exc: BaseException) -> HTTPException | None:
    """The HTTPException to raise instead of ``exc``, or None to keep it."""
    answer = http_status(exc)
    if answer is None:
        return None
    status, detail = answer
    if status >= 500:
        log.warning("answering %d: %r", status, exc)
    return HTTPException(status_code=status, detail=detail)


@asynccontextmanager
async def http_errors() -> AsyncIterator[None]:
    """Turn the Aerospike errors raised inside into their HTTP answers."""
    try:
        yield
    except AerospikeError as exc:
        translated = as_http_exception(exc)
        if translated is None:
            raise
        raise translated from exc


def error_response(exc: BaseException) -> Response | None:
    """A short JSON response for ``exc``, for code outside FastAPI routing."""
    answer = http_status(exc)
    if answer is None:
        return None
    status, detail = answer
    log.warning("answering %d: %r", status, exc)
    return JSONResponse({"detail": detail}, status_code=status)


async def _handle(request: Request, exc: Exception) -> Response:
    response = error_response(exc)
    if response is None:
        raise exc
    return response


async def _handle_not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": RECORD_NOT_FOUND}, status_code=404)


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]

exception_handlers: dict[int | type[Exception], Handler] = {
    AerospikeTimeoutError: _handle,
    ClusterError: _handle,
    BackpressureError: _handle,
    ModelNotFound: _handle,  # the closest class wins: it keeps its message
    ModelExists: _handle,
    ModelConflict: _handle,
    RecordNotFound: _handle_not_found,
}
