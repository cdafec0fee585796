"""``manage.py aerospike <subcommand>``: the shared admin commands.

    python manage.py aerospike ping
    python manage.py aerospike --alias analytics sets test
    python manage.py aerospike sets test --alias analytics --json
    python manage.py aerospike truncate test events --noinput
    python manage.py aerospike cache clear [CACHE_ALIAS] --noinput
    python manage.py aerospike session count

The subcommands come from :mod:`aerospike_py.admin.cli`; this command
supplies the client of the chosen AEROSPIKE alias, every CACHES alias
backed by AerospikeCache, and the session store when SESSION_ENGINE is
ours. Options go before or after the subcommand. A failure is a
CommandError (one line, exit status 1), or with ``--json`` the admin
core's one JSON line (``{"error": ...}``); a reader that stops early
(``dump ... | head -1``) ends the command quietly with exit status 141,
as ``python -m aerospike_py.admin`` does.
"""

from __future__ import annotations

import argparse
import json
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

from aerospike_py.admin.cli import (
    SIGPIPE_STATUS,
    AdminContext,
    accept_options_after_subcommands,
    add_subcommands,
    execute,
    silence_stdout,
)
from aerospike_py.sessions import SessionEngine
from django_aerospike import conf
from django_aerospike.checks import SESSION_ENGINE, aerospike_caches
from django_aerospike.connections import SharedClient, get_client

ERROR_PREFIX = "error: "
JSON_ERROR_START = '{"error": '


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
        accept_options_after_subcommands(parser, _options(parser))

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
            if options["json"] and getattr(self, "_called_from_command_line", False):
                # The same one JSON line as every other failure under --json.
                self.stderr.write(json.dumps({"error": str(exc)}))
                sys.exit(1)
            raise CommandError(str(exc)) from exc
        if status == SIGPIPE_STATUS:
            self._reader_went_away()
        elif status:
            self._failed(err, status, as_json=options["json"])

    def _failed(self, err: _ErrorCatcher, status: int, *, as_json: bool) -> None:
        """Report the failure the admin core described, once.

        With --json on the command line its JSON line is already on
        stderr, and a CommandError would add a plain one after it.
        """
        if as_json and getattr(self, "_called_from_command_line", False):
            sys.exit(status)
        raise CommandError(err.error or "the command failed", returncode=status)

    def _reader_went_away(self) -> None:
        """End quietly: the output's reader closed the pipe (``| head``).

        Not a failure, so no CommandError. From the command line the
        process exits 141, as the shell's own tools do; a programmatic
        call (call_command) simply returns.
        """
        if getattr(self, "_called_from_command_line", False):
            silence_stdout()
            sys.exit(SIGPIPE_STATUS)


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The options of ``parser`` itself (Django's and --alias), but --help."""
    return [
        action
        for action in parser._actions
        if action.option_strings and not isinstance(action, argparse._HelpAction)
    ]


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
    CommandError's message, so the plain line is raised instead of
    printed. The JSON line of --json goes through, for machines.
    """

    def __init__(self, stream: OutputWrapper) -> None:
        self._stream = stream
        self.error = ""

    def write(self, text: str) -> int:
        if text.startswith(ERROR_PREFIX):
            self.error = text[len(ERROR_PREFIX) :].strip()
            return len(text)
        self.error = _json_error(text) or self.error
        # ending="": a confirmation prompt must stay on its line.
        self._stream.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


def _json_error(text: str) -> str | None:
    """The message of the admin core's --json error line, if ``text`` is one."""
    if not text.startswith(JSON_ERROR_START):
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    message = found.get("error") if isinstance(found, dict) else None
    return message if isinstance(message, str) else None
