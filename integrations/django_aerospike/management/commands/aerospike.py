"""``manage.py aerospike <subcommand>``: the shared admin commands.

    python manage.py aerospike ping
    python manage.py aerospike --alias analytics sets test
    python manage.py aerospike truncate test events --noinput
    python manage.py aerospike cache clear [CACHE_ALIAS] --noinput
    python manage.py aerospike session count

The subcommands come from :mod:`aerospike_py.admin.cli`; this command
supplies the client of the chosen AEROSPIKE alias, every CACHES alias
backed by AerospikeCache, and the session store when SESSION_ENGINE is
ours. A failure is a CommandError (one line, exit status 1).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    OutputWrapper,
)

from aerospike_py.admin.cli import AdminContext, add_subcommands, execute
from aerospike_py.sessions import SessionEngine
from django_aerospike import conf
from django_aerospike.checks import SESSION_ENGINE, aerospike_caches
from django_aerospike.connections import SharedClient, get_client

ERROR_PREFIX = "error: "


class Command(BaseCommand):
    help = "Run Aerospike admin commands against a configured AEROSPIKE alias."
    # An ops tool must run on a site whose settings are broken.
    requires_system_checks: list[str] = []
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--alias",
            dest="aerospike_alias",  # "alias" is taken by "cache clear ALIAS"
            default=conf.DEFAULT_ALIAS,
            help="the AEROSPIKE alias to connect to (default: 'default')",
        )
        add_subcommands(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        err = _ErrorCatcher(self.stderr)
        try:
            context = _context(options["aerospike_alias"])
            status = execute(
                argparse.Namespace(**options),
                context,
                out=self.stdout,
                err=err,
                stdin=options.get("stdin", sys.stdin),
            )
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if status:
            raise CommandError(err.error or "the command failed", returncode=status)


def _context(alias: str) -> AdminContext:
    conf.client_config(alias)  # an unknown alias fails before connecting
    ours = settings.SESSION_ENGINE == SESSION_ENGINE
    return AdminContext(
        connect=lambda: get_client(alias),
        caches={name: caches[name] for name, _ in aerospike_caches()},
        sessions=_SessionStore() if ours else None,
        prog="manage.py aerospike",
    )


class _SessionStore:
    """The session store of AEROSPIKE_SESSIONS, read when a command needs it.

    Its settings are checked only then, so a broken session setting does
    not stop unrelated subcommands.
    """

    def count(self) -> int:
        found = conf.session_settings()
        engine = SessionEngine(
            SharedClient(found.client),
            namespace=found.namespace,
            set_name=found.set_name,
        )
        return engine.count()


class _ErrorCatcher:
    """Pass prompts through to stderr; keep the final error line.

    The admin core prints its one-line failure itself; Django prints a
    CommandError's message, so the line is raised instead of printed.
    """

    def __init__(self, stream: OutputWrapper) -> None:
        self._stream = stream
        self.error = ""

    def write(self, text: str) -> int:
        if text.startswith(ERROR_PREFIX):
            self.error = text[len(ERROR_PREFIX) :].strip()
        else:
            # ending="": a confirmation prompt must stay on its line.
            self._stream.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self._stream.flush()
