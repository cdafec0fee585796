"""Typed CRUD on one set, mapping records to and from pydantic models.

    class User(BaseModel):
        id: str
        name: str

    Users = Annotated[Collection[User], Depends(collection(User, set_name="users"))]

    @app.get("/users/{uid}")
    async def read_user(uid: str, users: Users) -> User:
        return await users.get(uid)              # 404 when there is none

A model is one record keyed by its ``key_field``; every field is a bin
named by its alias, holding the field's JSON form, so other Aerospike
clients (and secondary indexes) see plain values. Bin names are at most
15 bytes: a longer field name is refused when the collection is declared,
with the fix. Calls run through the request's ``RequestClient``, so they
share its deadline and counters.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from aerospike_py import _constants as C
from aerospike_py.exception import (
    RecordExistsError,
    RecordGenerationError,
    RecordNotFound,
)
from fastapi_aerospike._errors import ModelConflict, ModelExists, ModelNotFound
from fastapi_aerospike._request import RequestClient, get_request_client

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_BIN_NAME_BYTES = 15
UserKey = str | int | bytes


def bin_names(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> bin name; ValueError when a bin name is too long."""
    names = {}
    for name, info in model.model_fields.items():
        bin_name = info.serialization_alias or info.alias or name
        size = len(bin_name.encode())
        if size > MAX_BIN_NAME_BYTES:
            raise ValueError(
                f"field {model.__name__}.{name} would be bin {bin_name!r}, "
                f"{size} bytes; Aerospike allows {MAX_BIN_NAME_BYTES}. Give it "
                f"a shorter alias: Field(alias=...)"
            )
        names[name] = bin_name
    return names


class Collection(Generic[ModelT]):
    """Records of one set as instances of one pydantic model."""

    def __init__(
        self,
        db: RequestClient,
        model: type[ModelT],
        *,
        set_name: str,
        key_field: str = "id",
        namespace: str | None = None,
        ttl: int | None = None,
    ) -> None:
        self.db = db
        self.model = model
        self.set_name = set_name
        self.key_field = key_field
        self.namespace = namespace or db.namespace
        self.ttl = ttl
        self._bins = bin_names(model)

    def key(self, key: UserKey) -> tuple[str, str, UserKey]:
        return (self.namespace, self.set_name, key)

    # -- reads -------------------------------------------------------------------

    async def get(self, key: UserKey) -> ModelT:
        """The item under ``key``; ModelNotFound (HTTP 404) when none."""
        item, _ = await self._read(key)
        return item

    async def find(self, key: UserKey) -> ModelT | None:
        """The item under ``key``, or None."""
        try:
            return await self.get(key)
        except ModelNotFound:
            return None

    async def exists(self, key: UserKey) -> bool:
        return (await self.db.exists(self.key(key))).meta is not None

    async def get_many(self, keys: Iterable[UserKey]) -> list[ModelT]:
        """The items found under ``keys``, in order (one batch read)."""
        batch = await self.db.batch_read([self.key(key) for key in keys])
        return [
            self.to_model(entry.record.bins or {})
            for entry in batch.batch_records
            if entry.result == 0 and entry.record is not None
        ]

    async def all(self) -> list[ModelT]:
        """Every item of the set (a scan: mind the set's size)."""
        records = await self.db.scan(self.set_name)
        return [self.to_model(record.bins or {}) for record in records]

    # -- writes ------------------------------------------------------------------

    async def create(self, item: ModelT) -> ModelT:
        """Store a new item; ModelExists (HTTP 409) when its key is taken."""
        key = self.key_of(item)
        policy = {"exists": C.POLICY_EXISTS_CREATE_ONLY, "key": C.POLICY_KEY_SEND}
        try:
            await self.db.put(self.key(key), self.to_bins(item), self._meta(), policy)
        except RecordExistsError:
            raise ModelExists(f"{self.model.__name__} {key!r} already exists") from None
        return item

    async def save(self, item: ModelT) -> ModelT:
        """Store an item, replacing whatever its key held."""
        policy = {"exists": C.POLICY_EXISTS_REPLACE, "key": C.POLICY_KEY_SEND}
        key = self.key(self.key_of(item))
        await self.db.put(key, self.to_bins(item), self._meta(), policy)
        return item

    async def update(
        self, key: UserKey, changes: Mapping[str, Any] | BaseModel
    ) -> ModelT:
        """Change some fields of an existing item and return the result.

        ``changes`` is a dict of field names, or a model whose set fields
        are applied. The merged item is validated, as FastAPI validates a
        body (RequestValidationError, HTTP 422, naming the field), and
        written only if the record did not change since it was read
        (ModelConflict, HTTP 409). A change of the key field is refused the
        same way: the item would move to another record.
        """
        if isinstance(changes, BaseModel):
            changes = changes.model_dump(exclude_unset=True)
        self._check_key_unchanged(key, changes)
        current, generation = await self._read(key)
        item = self._merge(current, changes)
        meta = {**self._meta(), "gen": generation}
        policy = {"exists": C.POLICY_EXISTS_REPLACE_ONLY, "key": C.POLICY_KEY_SEND}
        try:
            await self.db.put(self.key(key), self.to_bins(item), meta, policy)
        except RecordGenerationError:
            raise ModelConflict(
                f"{self.model.__name__} {key!r} changed while it was being updated"
            ) from None
        except RecordNotFound:
            raise self._not_found(key) from None
        return item

    async def delete(self, key: UserKey) -> None:
        """Remove an item; ModelNotFound (HTTP 404) when there is none."""
        try:
            await self.db.remove(self.key(key))
        except RecordNotFound:
            raise self._not_found(key) from None

    # -- mapping -----------------------------------------------------------------

    def key_of(self, item: ModelT) -> UserKey:
        key: UserKey = getattr(item, self.key_field)
        return key

    def to_bins(self, item: ModelT) -> dict[str, Any]:
        """The bins of ``item``: a None field is no bin (Aerospike has no
        null bin, and a whole-record write cannot carry bin deletions)."""
        data = item.model_dump(mode="json", by_alias=True)
        return {name: value for name, value in data.items() if value is not None}

    def to_model(self, bins: Mapping[str, Any]) -> ModelT:
        """Build the model from bins; a missing nullable field was None."""
        data = dict(bins)
        for name, info in self.model.model_fields.items():
            bin_name = self._bins[name]
            if bin_name not in data and _nullable(info.annotation):
                data[bin_name] = None
        return self.model.model_validate(data)

    async def _read(self, key: UserKey) -> tuple[ModelT, int]:
        try:
            record = await self.db.get(self.key(key))
        except RecordNotFound:
            raise self._not_found(key) from None
        generation = record.meta.gen if record.meta is not None else 0
        return self.to_model(record.bins or {}), generation

    def _merge(self, current: ModelT, changes: Mapping[str, Any]) -> ModelT:
        """``current`` with ``changes`` applied, validated like a body."""
        data = current.model_dump(by_alias=True)
        data.update(
            (self._bins.get(name, name), value) for name, value in changes.items()
        )
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            errors = [
                {**error, "loc": ("body", *error["loc"])}
                for error in exc.errors(include_url=False)
            ]
            raise RequestValidationError(errors) from None

    def _check_key_unchanged(self, key: UserKey, changes: Mapping[str, Any]) -> None:
        """RequestValidationError (HTTP 422) when ``changes`` move the key."""
        names = {self.key_field, self._bins[self.key_field]}
        for name in names.intersection(changes):
            if changes[name] != key:
                error = {
                    "type": "frozen_field",
                    "loc": ("body", name),
                    "msg": f"{name!r} is the key of {self.model.__name__} "
                    f"{key!r} and cannot change",
                    "input": changes[name],
                }
                raise RequestValidationError([error])

    def _meta(self) -> dict[str, Any]:
        return {} if self.ttl is None else {"ttl": self.ttl}

    def _not_found(self, key: UserKey) -> ModelNotFound:
        return ModelNotFound(f"{self.model.__name__} {key!r} not found", 2)


def _nullable(annotation: Any) -> bool:
    return annotation is None or type(None) in typing.get_args(annotation)


def collection(
    model: type[ModelT],
    *,
    set_name: str | None = None,
    key_field: str = "id",
    namespace: str | None = None,
    ttl: int | None = None,
) -> Callable[..., Awaitable[Collection[ModelT]]]:
    """Return a dependency giving a :class:`Collection` of ``model``.

    ``set_name`` defaults to the model's name in lower case; ``ttl`` is the
    records' lifetime in seconds (None: the namespace's default-ttl).
    """
    bin_names(model)
    if key_field not in model.model_fields:
        raise ValueError(f"{model.__name__} has no field {key_field!r} to key by")
    chosen_set = set_name or model.__name__.lower()

    async def dependency(
        db: Annotated[RequestClient, Depends(get_request_client)],
    ) -> Collection[ModelT]:
        """Give the collection, bound to the request's client."""
        return Collection(
            db,
            model,
            set_name=chosen_set,
            key_field=key_field,
            namespace=namespace,
            ttl=ttl,
        )

    return dependency
