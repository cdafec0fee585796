"""Fixtures for the security tests: servers with access control and TLS.

Servers here are per test: tests drop users, change passwords and count
logins, which must not leak from one test into another.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from certs import CertSet, make_pki

from aerospike_py.server import EmbeddedServer

ADMIN_PASSWORD = "s3cret-admin"

_names = itertools.count()


@pytest.fixture
def admin_password() -> str:
    return ADMIN_PASSWORD


@pytest.fixture
def secure_server() -> Iterator[EmbeddedServer]:
    """A server with security on and quotas enabled."""
    with EmbeddedServer(
        security=True, admin_password=ADMIN_PASSWORD, enable_quotas=True
    ) as server:
        yield server


@pytest.fixture
def admin(client_factory: Any, secure_server: EmbeddedServer) -> Any:
    """The user admin (role user-admin) logged in, sync or async."""
    return client_factory(
        secure_server.client_config(user="admin", password=ADMIN_PASSWORD)
    )


class Users:
    """Create users with roles through the admin client, then log them in."""

    def __init__(self, admin: Any, factory: Any, server: EmbeddedServer) -> None:
        self.admin = admin
        self.factory = factory
        self.server = server

    def role(self, *privileges: dict[str, Any], **options: Any) -> str:
        name = f"role{next(_names)}"
        self.admin.admin_create_role(name, list(privileges), **options)
        return name

    def user(self, *roles: str, password: str = "pw-1") -> str:
        name = f"user{next(_names)}"
        self.admin.admin_create_user(name, password, list(roles))
        return name

    def login(self, user: str, password: str = "pw-1", **extra: Any) -> Any:
        config = self.server.client_config(user=user, password=password, **extra)
        return self.factory(config)

    def client_with(self, *privileges: dict[str, Any]) -> Any:
        """A client logged in as a new user holding exactly ``privileges``."""
        return self.login(self.user(self.role(*privileges)))


@pytest.fixture
def users(admin: Any, client_factory: Any, secure_server: EmbeddedServer) -> Users:
    return Users(admin, client_factory, secure_server)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    """A CA, a server certificate for TLS_NAME and 127.0.0.1, client
    certificates (one named after certs.PKI_USER), and a stranger CA."""
    directory: Path = tmp_path_factory.mktemp("certs")
    return make_pki(directory)
