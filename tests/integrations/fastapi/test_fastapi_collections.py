"""Typed collections: pydantic models in and out of one set, HTTP errors."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from fastapi_aerospike import Collection, ModelConflict, collection
from fastapi_aerospike._request import RequestClient, RequestContext

USERS_SET = "fastapi_users"


class User(BaseModel):
    id: str
    name: str
    age: int = 0
    nickname: str | None = None


class UserChanges(BaseModel):
    name: str | None = None
    age: int | None = None


Users = Annotated[Collection[User], Depends(collection(User, set_name=USERS_SET))]


@pytest.fixture
def app(make_app, aerospike_client) -> FastAPI:
    aerospike_client.truncate("test", USERS_SET, 0)
    app = make_app()

    @app.post("/users", status_code=201)
    async def create(user: User, users: Users) -> User:
        return await users.create(user)

    @app.get("/users/{uid}")
    async def read(uid: str, users: Users) -> User:
        return await users.get(uid)

    @app.patch("/users/{uid}")
    async def update(uid: str, changes: UserChanges, users: Users) -> User:
        return await users.update(uid, changes)

    @app.patch("/users/{uid}/fields")
    async def update_fields(uid: str, changes: dict[str, Any], users: Users) -> User:
        return await users.update(uid, changes)

    @app.delete("/users/{uid}", status_code=204)
    async def delete(uid: str, users: Users) -> None:
        await users.delete(uid)

    @app.get("/users")
    async def many(ids: str, users: Users) -> list[User]:
        return await users.get_many(ids.split(","))

    return app


def test_created_items_read_back_as_models(app, serve, aerospike_client):
    client = serve(app)

    created = client.post("/users", json={"id": "ada", "name": "Ada", "age": 36})

    assert created.status_code == 201
    assert client.get("/users/ada").json() == {
        "id": "ada",
        "name": "Ada",
        "age": 36,
        "nickname": None,
    }
    stored = aerospike_client.get(("test", USERS_SET, "ada")).bins
    assert stored == {"id": "ada", "name": "Ada", "age": 36}


def test_a_missing_item_is_a_404(app, serve):
    response = serve(app).get("/users/nobody")

    assert response.status_code == 404
    assert response.json() == {"detail": "User 'nobody' not found"}


def test_creating_a_taken_key_is_a_409(app, serve):
    client = serve(app)
    client.post("/users", json={"id": "ada", "name": "Ada"})

    response = client.post("/users", json={"id": "ada", "name": "Impostor"})

    assert response.status_code == 409
    assert client.get("/users/ada").json()["name"] == "Ada"


def test_update_changes_only_the_given_fields(app, serve):
    client = serve(app)
    client.post("/users", json={"id": "ada", "name": "Ada", "age": 36})

    response = client.patch("/users/ada", json={"age": 37})

    assert response.json() == {"id": "ada", "name": "Ada", "age": 37, "nickname": None}
    assert client.get("/users/ada").json()["age"] == 37
    assert client.patch("/users/nobody", json={"age": 1}).status_code == 404


def test_an_update_with_an_invalid_value_is_a_422_naming_the_field(app, serve):
    client = serve(app)
    client.post("/users", json={"id": "ada", "name": "Ada", "age": 36})

    response = client.patch("/users/ada/fields", json={"age": "abc", "name": "A"})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "age"] and error["input"] == "abc"
    assert client.get("/users/ada").json()["name"] == "Ada"


def test_an_update_changing_the_key_is_a_422_naming_the_field(app, serve):
    client = serve(app)
    client.post("/users", json={"id": "ada", "name": "Ada"})

    response = client.patch("/users/ada/fields", json={"id": "bob", "name": "B"})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "id"] and error["input"] == "bob"
    assert client.get("/users/ada").json()["name"] == "Ada"
    assert client.get("/users/bob").status_code == 404
    unchanged = client.patch("/users/ada/fields", json={"id": "ada", "name": "A"})
    assert unchanged.json()["name"] == "A"


def test_delete_then_read_is_a_404(app, serve):
    client = serve(app)
    client.post("/users", json={"id": "ada", "name": "Ada"})

    assert client.delete("/users/ada").status_code == 204
    assert client.get("/users/ada").status_code == 404
    assert client.delete("/users/ada").status_code == 404


def test_get_many_returns_found_items_in_key_order(app, serve):
    client = serve(app)
    for uid in ("a", "b", "c"):
        client.post("/users", json={"id": uid, "name": uid.upper()})

    found = client.get("/users", params={"ids": "c,missing,a"}).json()

    assert [user["id"] for user in found] == ["c", "a"]


def test_invalid_item_bodies_are_422(app, serve):
    response = serve(app).post("/users", json={"id": "ada", "age": "old"})

    assert response.status_code == 422
    fields = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert fields == {("body", "name"), ("body", "age")}


def test_a_field_too_long_for_a_bin_name_is_refused_at_declaration():
    class Reading(BaseModel):
        id: str
        temperature_celsius: float

    with pytest.raises(ValueError, match=r"temperature_celsius.*alias"):
        collection(Reading)


class Reading(BaseModel):
    id: str
    temperature_celsius: float = Field(alias="temp_c")
    note: str | None = "unset"


Readings = Annotated[
    Collection[Reading], Depends(collection(Reading, set_name="fastapi_readings"))
]


def test_an_alias_makes_a_long_field_storable(make_app, serve, aerospike_client):
    app = make_app()

    @app.put("/readings/{rid}")
    async def put(rid: str, value: float, readings: Readings) -> Reading:
        return await readings.save(Reading(id=rid, temp_c=value))

    assert serve(app).put("/readings/r1", params={"value": 21.5}).status_code == 200
    stored = aerospike_client.get(("test", "fastapi_readings", "r1")).bins
    assert stored == {"id": "r1", "temp_c": 21.5, "note": "unset"}


def test_a_none_field_is_stored_as_no_bin_and_reads_back_as_none(
    make_app, serve, aerospike_client
):
    app = make_app()

    @app.put("/readings/{rid}")
    async def put(rid: str, reading: Reading, readings: Readings) -> Reading:
        await readings.save(reading)
        return await readings.get(rid)

    client = serve(app)
    body = {"id": "r2", "temp_c": 3.0, "note": "cold"}
    assert client.put("/readings/r2", json=body).json()["note"] == "cold"

    body["note"] = None
    assert client.put("/readings/r2", json=body).json()["note"] is None
    stored = aerospike_client.get(("test", "fastapi_readings", "r2")).bins
    assert stored == {"id": "r2", "temp_c": 3.0}


def test_all_scans_the_set(app, make_app, serve):
    @app.get("/everyone")
    async def everyone(users: Users) -> list[str]:
        return sorted(user.id for user in await users.all())

    client = serve(app)
    for uid in ("x", "y"):
        client.post("/users", json={"id": uid, "name": uid})

    assert client.get("/everyone").json() == ["x", "y"]


def test_an_update_racing_another_write_is_a_conflict(
    aerospike_server, aerospike_client
):
    """The write is conditional on the generation read, so a change in
    between is refused rather than silently overwritten."""

    class RacedUsers(Collection[User]):
        async def _read(self, key):
            found = await super()._read(key)
            aerospike_client.put(self.key(key), {"name": "Changed meanwhile"})
            return found

    async def scenario():
        from aerospike_py._async.client import AsyncClient

        async with AsyncClient(aerospike_server.client_config()) as client:
            await client.connect()
            db = RequestClient(
                client, RequestContext.start(None), namespace="test", set_name=None
            )
            users = RacedUsers(db, User, set_name=USERS_SET)
            await users.save(User(id="ada", name="Ada"))
            with pytest.raises(ModelConflict):
                await users.update("ada", {"age": 40})

    asyncio.run(scenario())
    assert aerospike_client.get(("test", USERS_SET, "ada")).bins["name"] == (
        "Changed meanwhile"
    )
