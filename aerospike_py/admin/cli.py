"""The admin command set shared by ``manage.py aerospike``, ``flask
aerospike`` and ``python -m fastapi_aerospike``.

Plain text for people, ``--json`` for machines; a failure prints one line
to stderr and exits non-zero. Each framework supplies an
:class:`AdminContext` (how to reach the client, which caches and session
store it configured) and either calls :func:`main` with the raw arguments
or adds :func:`add_subcommands` to its own argparse parser and calls
:func:`execute`. Passwords are read from the environment or a prompt,
never from the command line, and never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import getpass
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from aerospike_py import _constants as C
from aerospike_py._sync.client import Client
from aerospike_py.admin import jsonl
from aerospike_py.exception import AerospikeError, InvalidArgError
from aerospike_py.wire import info as info_codec

PASSWORD_ENV = "AEROSPIKE_NEW_PASSWORD"
SIGPIPE_STATUS = 141  # 128 + SIGPIPE, what a shell reports for ``cmd | head``

INDEX_TYPES = {
    "numeric": "index_integer_create",
    "string": "index_string_create",
    "blob": "index_blob_create",
    "geo2dsphere": "index_geo2dsphere_create",
}
COLLECTIONS = {
    "default": C.INDEX_TYPE_DEFAULT,
    "list": C.INDEX_TYPE_LIST,
    "mapkeys": C.INDEX_TYPE_MAPKEYS,
    "mapvalues": C.INDEX_TYPE_MAPVALUES,
}


@dataclass
class AdminContext:
    """What a framework hands to the admin commands."""

    connect: Callable[[], Client]
    close_after: bool = False
    caches: Mapping[str, Any] = field(default_factory=dict)
    sessions: Any = None
    prog: str = "aerospike"


class CommandFailed(Exception):
    """A command could not do its job; the message is printed as is."""


class TextSink(Protocol):
    """Where output goes: a text stream, or a framework's wrapper of one."""

    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


class Output:
    """Print for people or, with --json, for machines."""

    def __init__(self, out: TextSink, as_json: bool) -> None:
        self.out = out
        self.as_json = as_json

    def data(self, value: Any, text: str | None = None) -> None:
        if self.as_json:
            self.out.write(json.dumps(value, default=str, indent=2) + "\n")
        elif text is not None:
            self.out.write(text + "\n")

    def table(self, rows: list[dict[str, Any]], columns: list[str]) -> None:
        if self.as_json:
            self.data(rows)
            return
        if not rows:
            self.out.write("(none)\n")
            return
        rows = [{c: _cell(r.get(c, "")) for c in columns} for r in rows]
        widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
        self.out.write(
            "  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip() + "\n"
        )
        for row in rows:
            cells = (row[c].ljust(widths[c]) for c in columns)
            self.out.write("  ".join(cells).rstrip() + "\n")


def _cell(value: Any) -> str:
    """A table cell: lists (roles, privileges) read as comma-separated."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


@dataclass
class Run:
    """Everything a command handler works with."""

    client: Any
    ctx: AdminContext
    output: Output
    stdin: TextIO
    err: TextSink


# -- the parser ---------------------------------------------------------------


def add_subcommands(parser: argparse.ArgumentParser) -> None:
    """Add every admin subcommand (and --json) to ``parser``."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    info = commands.add_parser("info", help="run an info command on every node")
    info.add_argument("info_command", nargs="?", default="build", help="default: build")
    commands.add_parser("ping", help="exit 0 when the cluster answers")
    commands.add_parser("nodes", help="nodes, partitions and connections")
    commands.add_parser("namespaces", help="namespaces and their settings")
    sets = commands.add_parser("sets", help="sets and their record counts")
    sets.add_argument("namespace", nargs="?")

    truncate = commands.add_parser("truncate", help="delete every record of a set")
    truncate.add_argument("namespace")
    truncate.add_argument("set", nargs="?", help="omit to truncate the namespace")
    truncate.add_argument(
        "--before", help="only records last updated before this ISO time or epoch ns"
    )
    _add_yes(truncate)

    index = commands.add_parser("index", help="secondary indexes").add_subparsers(
        dest="action", metavar="ACTION"
    )
    index.required = True
    listing = index.add_parser("list", help="list indexes")
    listing.add_argument("namespace", nargs="?")
    create = index.add_parser("create", help="create an index")
    for name in ("namespace", "set", "bin", "name"):
        create.add_argument(name)
    create.add_argument("--type", choices=sorted(INDEX_TYPES), default="numeric")
    create.add_argument("--collection", choices=sorted(COLLECTIONS), default="default")
    remove = index.add_parser("remove", help="drop an index")
    remove.add_argument("namespace")
    remove.add_argument("name")
    _add_yes(remove)

    udf = commands.add_parser("udf", help="Lua UDF modules").add_subparsers(
        dest="action", metavar="ACTION"
    )
    udf.required = True
    udf.add_parser("list", help="registered modules")
    put = udf.add_parser("put", help="register a .lua file")
    put.add_argument("path")
    drop = udf.add_parser("remove", help="unregister a module")
    drop.add_argument("module")
    _add_yes(drop)

    _add_security(commands)

    dump = commands.add_parser("dump", help="write a set's records as JSON Lines")
    dump.add_argument("namespace")
    dump.add_argument("set")
    dump.add_argument("-o", "--output", help="file to write (default: stdout)")
    dump.add_argument("--progress", action="store_true", help="show a progress bar")
    load = commands.add_parser("load", help="write records from a JSON Lines dump")
    load.add_argument("path", help="dump file, or - for stdin")
    load.add_argument("--namespace", help="load into this namespace instead")
    load.add_argument("--set", dest="target_set", help="load into this set instead")
    load.add_argument("--progress", action="store_true", help="show a progress bar")

    cache = commands.add_parser(
        "cache", help="the app's caches (framework commands only)"
    ).add_subparsers(dest="action", metavar="ACTION")
    cache.required = True
    clear = cache.add_parser("clear", help="empty a configured cache")
    clear.add_argument("alias", nargs="?", help="cache alias (default: all)")
    _add_yes(clear)
    session = commands.add_parser(
        "session", help="the app's session store (framework commands only)"
    ).add_subparsers(dest="action", metavar="ACTION")
    session.required = True
    session.add_parser("count", help="how many live sessions there are")
    _accept_json_after_the_command(parser)


def _accept_json_after_the_command(parser: argparse.ArgumentParser) -> None:
    """Let every command take ``--json`` after its name too
    (``load dump.jsonl --json``), and options only as spelled (``--role``
    is not ``--roles``)."""
    json_option = next(a for a in parser._actions if "--json" in a.option_strings)
    accept_options_after_subcommands(parser, [json_option])
    _no_abbreviations(parser)


def _no_abbreviations(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.allow_abbrev = False
                _no_abbreviations(sub)


def accept_options_after_subcommands(
    parser: argparse.ArgumentParser, options: list[argparse.Action]
) -> None:
    """Let every subcommand take ``options`` (options of ``parser`` itself)
    after its name too: ``ping --alias analytics`` works like ``--alias
    analytics ping``. A subcommand that has the option string already keeps
    its own; the copies default to nothing, so they never undo an option
    given before the name."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for sub in action.choices.values():
            taken = sub._option_string_actions
            for option in options:
                if not any(string in taken for string in option.option_strings):
                    repeated = copy.copy(option)
                    repeated.default = argparse.SUPPRESS
                    sub._add_action(repeated)
            accept_options_after_subcommands(sub, options)


def _add_yes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--yes",
        "--noinput",
        dest="yes",
        action="store_true",
        help="do not ask to confirm",
    )


def _add_security(commands: Any) -> None:
    user = commands.add_parser("user", help="users (security-enabled servers)")
    users = user.add_subparsers(dest="action", metavar="ACTION")
    users.required = True
    users.add_parser("list", help="every user and its roles")
    create = users.add_parser(
        "create", help=f"create a user; password from ${PASSWORD_ENV} or a prompt"
    )
    create.add_argument("name")
    create.add_argument("--roles", default="", help="comma-separated roles")
    drop_user = users.add_parser("drop", help="drop a user")
    drop_user.add_argument("name")
    _add_yes(drop_user)
    for action in ("grant", "revoke"):
        change = users.add_parser(action, help=f"{action} roles")
        change.add_argument("name")
        change.add_argument("roles", help="comma-separated roles")
    password = users.add_parser(
        "set-password", help=f"set a password from ${PASSWORD_ENV} or a prompt"
    )
    password.add_argument("name")

    role = commands.add_parser("role", help="roles (security-enabled servers)")
    roles = role.add_subparsers(dest="action", metavar="ACTION")
    roles.required = True
    roles.add_parser("list", help="every role and its privileges")
    create_role = roles.add_parser("create", help="create a role")
    create_role.add_argument("name")
    create_role.add_argument(
        "--privilege",
        action="append",
        default=[],
        metavar="CODE[:NS[:SET]]",
        help="e.g. read-write:test:users (repeatable)",
    )
    create_role.add_argument("--allowlist", default="", help="comma-separated CIDRs")
    create_role.add_argument("--read-quota", type=int, default=0)
    create_role.add_argument("--write-quota", type=int, default=0)
    drop_role = roles.add_parser("drop", help="drop a role")
    drop_role.add_argument("name")
    _add_yes(drop_role)
    for action in ("grant", "revoke"):
        change = roles.add_parser(action, help=f"{action} privileges")
        change.add_argument("name")
        change.add_argument("privilege", nargs="+", metavar="CODE[:NS[:SET]]")


def build_parser(prog: str = "aerospike") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Aerospike admin commands.", allow_abbrev=False
    )
    add_subcommands(parser)
    return parser


# -- running ------------------------------------------------------------------


def main(
    argv: list[str] | None,
    context: AdminContext,
    *,
    out: TextSink | None = None,
    err: TextSink | None = None,
) -> int:
    """Parse ``argv`` and run the command; return the exit status."""
    parser = build_parser(context.prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return execute(args, context, out=out, err=err)


def execute(
    args: argparse.Namespace,
    context: AdminContext,
    *,
    out: TextSink | None = None,
    err: TextSink | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run parsed arguments; print a one-line error and return 1 on failure."""
    out = out or sys.stdout
    err = err or sys.stderr
    handler = _HANDLERS[(args.command, getattr(args, "action", None))]
    output = Output(out, args.json)
    client: Client | None = None
    try:
        client = context.connect()
        handler(args, Run(client, context, output, stdin or sys.stdin, err))
    except BrokenPipeError:
        # The reader went away (``dump ... | head``): stop quietly, as the
        # shell's tools do, and keep the interpreter from flushing into the
        # closed pipe again at exit.
        if out is sys.stdout:
            silence_stdout()
        return SIGPIPE_STATUS
    except (AerospikeError, CommandFailed, OSError, ValueError) as exc:
        if args.json:
            err.write(json.dumps({"error": _one_line(exc)}) + "\n")
        else:
            err.write(f"error: {_one_line(exc)}\n")
        return 1
    finally:
        if client is not None and context.close_after:
            client.close()
    return 0


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail again
    on a pipe whose reader went away."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _confirm(
    args: argparse.Namespace, question: str, stdin: TextIO, err: TextSink
) -> None:
    if args.yes:
        return
    if not stdin.isatty():
        raise CommandFailed(f"{question} - refusing without --yes (no terminal to ask)")
    err.write(f"{question} Type 'yes' to continue: ")
    err.flush()
    if stdin.readline().strip().lower() != "yes":
        raise CommandFailed("cancelled")


# -- cluster ------------------------------------------------------------------


def _info(args: argparse.Namespace, run: Run) -> None:
    results = run.client.info_all(args.info_command)
    rows = [
        {"node": r.node_name, "error": r.error_code, "response": r.response}
        for r in results
    ]
    failed = [r for r in results if r.error_code]
    run.output.table(
        rows, ["node", "response"] if not failed else ["node", "error", "response"]
    )
    if failed and len(failed) == len(results):
        raise CommandFailed(
            f"every node refused {args.info_command!r}: {failed[0].response}"
        )


def _ping(args: argparse.Namespace, run: Run) -> None:
    start = time.perf_counter()
    if not run.client.ping():
        raise CommandFailed("the cluster did not answer")
    elapsed = (time.perf_counter() - start) * 1000
    nodes = run.client.get_node_names()
    run.output.data(
        {"ok": True, "nodes": len(nodes), "ms": round(elapsed, 2)},
        f"ok: {len(nodes)} node(s) answered in {elapsed:.1f} ms",
    )


def _nodes(args: argparse.Namespace, run: Run) -> None:
    stats = run.client.get_stats()
    rows = []
    for node in stats["nodes"]:
        rows.append(
            {
                "name": node["name"],
                "address": node["address"],
                "partitions": sum(node["partitions"].values()),
                "connections": node["connections"]["in_use"]
                + node["connections"]["in_pool"],
                "commands": node["commands"],
                "errors": node["errors"],
            }
        )
    if run.output.as_json:
        run.output.data(stats)
        return
    run.output.table(
        rows, ["name", "address", "partitions", "connections", "commands", "errors"]
    )


def _namespaces(args: argparse.Namespace, run: Run) -> None:
    names = [n for n in run.client.info_random_node("namespaces").split(";") if n]
    rows = []
    for name in names:
        values = info_codec.parse_pairs(
            run.client.info_random_node(f"namespace/{name}")
        )
        rows.append(
            {
                "namespace": name,
                "objects": _number(values.get("objects", "")),
                "replication-factor": _number(values.get("replication-factor", "")),
                "default-ttl": _number(values.get("default-ttl", "")),
                "nsup-period": _number(values.get("nsup-period", "")),
            }
        )
    run.output.table(
        rows,
        ["namespace", "objects", "replication-factor", "default-ttl", "nsup-period"],
    )


def _number(text: str) -> int | str:
    """An info count as a number (JSON readers compare them), else as is."""
    return int(text) if text.isdigit() else text


def _require_namespace(run: Run, namespace: str) -> None:
    """Fail when the cluster has no such namespace: the server would take
    a truncate or a listing of it as a success that did nothing."""
    known = [n for n in run.client.info_random_node("namespaces").split(";") if n]
    if namespace not in known:
        raise CommandFailed(
            f"namespace {namespace!r} not found; the cluster has: "
            f"{', '.join(known) or 'none'}"
        )


def _sets(args: argparse.Namespace, run: Run) -> None:
    if args.namespace:
        _require_namespace(run, args.namespace)
    command = f"sets/{args.namespace}" if args.namespace else "sets"
    rows = []
    for entry in run.client.info_random_node(command).split(";"):
        if not entry:
            continue
        values = info_codec.parse_pairs(entry, item_sep=":")
        rows.append(
            {
                "namespace": values.get("ns", ""),
                "set": values.get("set", ""),
                "objects": _number(values.get("objects", "")),
                "sindexes": _number(values.get("sindexes", "")),
            }
        )
    run.output.table(rows, ["namespace", "set", "objects", "sindexes"])


def _truncate(args: argparse.Namespace, run: Run) -> None:
    target = (
        f"{args.namespace}.{args.set}" if args.set else f"namespace {args.namespace}"
    )
    nanos = _before_nanos(args.before) if args.before else 0
    _require_namespace(run, args.namespace)
    _confirm(args, f"Delete every record of {target}?", run.stdin, run.err)
    run.client.truncate(args.namespace, args.set or "", nanos)
    run.output.data({"truncated": target}, f"truncated {target}")


def _before_nanos(text: str) -> int:
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandFailed(
            f"--before {text!r} is neither epoch ns nor an ISO time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp() * 1_000_000_000)


# -- indexes and UDFs ---------------------------------------------------------


def _index_list(args: argparse.Namespace, run: Run) -> None:
    if args.namespace:
        _require_namespace(run, args.namespace)
    command = (
        f"sindex-list:namespace={args.namespace}" if args.namespace else "sindex-list"
    )
    rows = []
    for entry in run.client.info_random_node(command).split(";"):
        if entry:
            values = info_codec.parse_pairs(entry, item_sep=":")
            rows.append(
                {
                    "namespace": values.get("ns", ""),
                    "name": values.get("indexname", ""),
                    "set": values.get("set", ""),
                    "bin": values.get("bin", ""),
                    "type": values.get("type", ""),
                    "collection": values.get("indextype", ""),
                    "state": values.get("state", ""),
                }
            )
    run.output.table(
        rows, ["namespace", "name", "set", "bin", "type", "collection", "state"]
    )


def _index_create(args: argparse.Namespace, run: Run) -> None:
    method = getattr(run.client, INDEX_TYPES[args.type])
    method(
        args.namespace,
        args.set,
        args.bin,
        args.name,
        index_type=COLLECTIONS[args.collection],
    )
    run.output.data({"created": args.name}, f"index {args.name} created")


def _index_remove(args: argparse.Namespace, run: Run) -> None:
    question = f"Drop index {args.name} of namespace {args.namespace}?"
    _confirm(args, question, run.stdin, run.err)
    run.client.index_remove(args.namespace, args.name)
    run.output.data({"removed": args.name}, f"index {args.name} removed")


def _udf_list(args: argparse.Namespace, run: Run) -> None:
    rows = []
    for entry in run.client.info_random_node("udf-list").split(";"):
        if entry:
            values = info_codec.parse_pairs(entry, item_sep=",")
            rows.append(
                {
                    "module": values.get("filename", ""),
                    "hash": values.get("hash", ""),
                    "type": values.get("type", ""),
                }
            )
    run.output.table(rows, ["module", "hash", "type"])


def _udf_put(args: argparse.Namespace, run: Run) -> None:
    run.client.udf_put(args.path)
    name = os.path.basename(args.path)
    run.output.data({"registered": name}, f"registered {name}")


def _udf_remove(args: argparse.Namespace, run: Run) -> None:
    _confirm(args, f"Unregister UDF module {args.module}?", run.stdin, run.err)
    run.client.udf_remove(args.module)
    run.output.data({"removed": args.module}, f"removed {args.module}")


# -- users and roles ----------------------------------------------------------


def _new_password(name: str, stdin: TextIO) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if not stdin.isatty():
        raise CommandFailed(f"set ${PASSWORD_ENV} to give the password of {name!r}")
    password = getpass.getpass(f"Password for {name}: ")
    if password != getpass.getpass("Again: "):
        raise CommandFailed("the passwords differ")
    return password


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _privilege(text: str) -> dict[str, Any]:
    code, _, rest = text.partition(":")
    ns, _, set_name = rest.partition(":")
    privilege: dict[str, Any] = {"code": code}
    if ns:
        privilege["ns"] = ns
    if set_name:
        privilege["set"] = set_name
    return privilege


def _user_list(args: argparse.Namespace, run: Run) -> None:
    users = run.client.admin_query_users_info()
    rows = [
        {
            "user": u["user"],
            "roles": list(u["roles"]),
            "connections": u.get("conns_in_use", 0),
        }
        for u in users
    ]
    run.output.table(rows, ["user", "roles", "connections"])


def _user_create(args: argparse.Namespace, run: Run) -> None:
    password = _new_password(args.name, run.stdin)
    run.client.admin_create_user(args.name, password, _split(args.roles))
    run.output.data({"created": args.name}, f"user {args.name} created")


def _user_drop(args: argparse.Namespace, run: Run) -> None:
    _confirm(args, f"Drop user {args.name}?", run.stdin, run.err)
    run.client.admin_drop_user(args.name)
    run.output.data({"dropped": args.name}, f"user {args.name} dropped")


def _user_grant(args: argparse.Namespace, run: Run) -> None:
    run.client.admin_grant_roles(args.name, _split(args.roles))
    run.output.data(
        {"granted": _split(args.roles)}, f"granted {args.roles} to {args.name}"
    )


def _user_revoke(args: argparse.Namespace, run: Run) -> None:
    run.client.admin_revoke_roles(args.name, _split(args.roles))
    run.output.data(
        {"revoked": _split(args.roles)}, f"revoked {args.roles} from {args.name}"
    )


def _user_password(args: argparse.Namespace, run: Run) -> None:
    password = _new_password(args.name, run.stdin)
    run.client.admin_set_password(args.name, password)
    run.output.data({"password_set": args.name}, f"password of {args.name} changed")


PRIVILEGE_NAMES = {
    C.PRIV_USER_ADMIN: "user-admin",
    C.PRIV_SYS_ADMIN: "sys-admin",
    C.PRIV_DATA_ADMIN: "data-admin",
    C.PRIV_UDF_ADMIN: "udf-admin",
    C.PRIV_SINDEX_ADMIN: "sindex-admin",
    C.PRIV_READ: "read",
    C.PRIV_READ_WRITE: "read-write",
    C.PRIV_READ_WRITE_UDF: "read-write-udf",
    C.PRIV_WRITE: "write",
    C.PRIV_TRUNCATE: "truncate",
}


def _privilege_text(privilege: Mapping[str, Any]) -> str:
    code = privilege.get("code")
    name = PRIVILEGE_NAMES.get(code, str(code)) if isinstance(code, int) else str(code)
    scope = [str(privilege[k]) for k in ("ns", "set") if privilege.get(k)]
    return ":".join([name, *scope])


def _role_list(args: argparse.Namespace, run: Run) -> None:
    rows = []
    for role in run.client.admin_query_roles():
        privileges = [_privilege_text(p) for p in role["privileges"]]
        allowlist = list(role.get("allowlist", []))
        rows.append(
            {"role": role["name"], "privileges": privileges, "allowlist": allowlist}
        )
    run.output.table(rows, ["role", "privileges", "allowlist"])


def _role_create(args: argparse.Namespace, run: Run) -> None:
    run.client.admin_create_role(
        args.name,
        [_privilege(p) for p in args.privilege],
        None,
        whitelist=_split(args.allowlist) or None,
        read_quota=args.read_quota,
        write_quota=args.write_quota,
    )
    run.output.data({"created": args.name}, f"role {args.name} created")


def _role_drop(args: argparse.Namespace, run: Run) -> None:
    _confirm(args, f"Drop role {args.name}?", run.stdin, run.err)
    run.client.admin_drop_role(args.name)
    run.output.data({"dropped": args.name}, f"role {args.name} dropped")


def _role_grant(args: argparse.Namespace, run: Run) -> None:
    run.client.admin_grant_privileges(
        args.name, [_privilege(p) for p in args.privilege]
    )
    run.output.data({"granted": args.privilege}, f"privileges granted to {args.name}")


def _role_revoke(args: argparse.Namespace, run: Run) -> None:
    run.client.admin_revoke_privileges(
        args.name, [_privilege(p) for p in args.privilege]
    )
    run.output.data({"revoked": args.privilege}, f"privileges revoked from {args.name}")


# -- dump and load ------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr (only when asked for)."""

    def __init__(
        self, err: TextSink, total: int | None, enabled: bool, label: str
    ) -> None:
        self.err = err
        self.total = total
        self.enabled = enabled
        self.label = label
        self.done = 0
        self._last = 0.0

    def step(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if self.enabled and now - self._last >= 0.1:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        if self.total:
            share = min(self.done / self.total, 1.0)
            bar = "#" * int(share * 30)
            self.err.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total}")
        else:
            self.err.write(f"\r{self.label} {self.done}")
        self.err.flush()

    def finish(self) -> None:
        if self.enabled:
            self._draw()
            self.err.write("\n")


def _set_objects(client: Client, namespace: str, set_name: str) -> int | None:
    answer = client.info_random_node(f"sets/{namespace}/{set_name}")
    values = info_codec.parse_pairs(answer.rstrip(";"), item_sep=":")
    try:
        return int(values["objects"])
    except (KeyError, ValueError):
        return None


def _dump(args: argparse.Namespace, run: Run) -> None:
    total = _set_objects(run.client, args.namespace, args.set)
    label = f"dump {args.namespace}.{args.set}"
    progress = Progress(run.err, total, args.progress, label)
    with contextlib.ExitStack() as stack:
        target = run.output.out
        if args.output:
            target = stack.enter_context(open(args.output, "w", encoding="utf-8"))

        def write(record: Any) -> None:
            target.write(jsonl.record_line(record) + "\n")
            progress.step()

        try:
            run.client.query(args.namespace, args.set).foreach(write)
        finally:
            progress.finish()
    if args.output:
        run.output.data(
            {"records": progress.done, "file": args.output},
            f"dumped {progress.done} record(s) to {args.output}",
        )


def _lines(path: str, stdin: TextIO) -> Iterator[tuple[int, str]]:
    if path == "-":
        yield from _numbered(stdin)
        return
    with open(path, encoding="utf-8") as source:
        yield from _numbered(source)


def _numbered(source: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(source, 1):
        if line.strip():
            yield number, line


def _load(args: argparse.Namespace, run: Run) -> None:
    progress = Progress(run.err, None, args.progress, "load")
    loaded = 0
    for number, line in _lines(args.path, run.stdin):
        entry = jsonl.parse_line(line, number)
        namespace = args.namespace or entry["ns"]
        set_name = args.target_set or entry["set"]
        if entry["key"] is not None:
            key: tuple[Any, ...] = (namespace, set_name, entry["key"])
        elif entry.get("digest"):
            if set_name != entry["set"]:
                raise CommandFailed(
                    f"line {number}: the record was stored without its key, and "
                    "its digest is computed from its set name, so it can only be "
                    f"loaded into set {entry['set']!r}, not {set_name!r}"
                )
            key = (namespace, set_name, None, bytes.fromhex(entry["digest"]))
        else:
            raise CommandFailed(f"line {number}: neither a key nor a digest")
        ttl = entry.get("ttl")
        meta = {"ttl": C.TTL_NEVER_EXPIRE if ttl is None else int(ttl)}
        try:
            run.client.put(key, entry["bins"], meta, {"key": C.POLICY_KEY_SEND})
        except InvalidArgError as exc:
            raise CommandFailed(f"line {number}: {exc}") from None
        loaded += 1
        progress.step()
    progress.finish()
    run.output.data({"records": loaded}, f"loaded {loaded} record(s)")


# -- caches and sessions ------------------------------------------------------


def _cache_clear(args: argparse.Namespace, run: Run) -> None:
    if not run.ctx.caches:
        raise CommandFailed("no Aerospike cache is configured")
    if args.alias and args.alias not in run.ctx.caches:
        known = ", ".join(sorted(run.ctx.caches))
        raise CommandFailed(f"no cache alias {args.alias!r}; configured: {known}")
    names = [args.alias] if args.alias else sorted(run.ctx.caches)
    _confirm(args, f"Clear cache(s) {', '.join(names)}?", run.stdin, run.err)
    for name in names:
        run.ctx.caches[name].clear()
    run.output.data({"cleared": names}, f"cleared {', '.join(names)}")


def _session_count(args: argparse.Namespace, run: Run) -> None:
    if run.ctx.sessions is None:
        raise CommandFailed("no Aerospike session store is configured")
    count = run.ctx.sessions.count()
    run.output.data({"sessions": count}, f"{count} live session(s)")


Handler = Callable[..., None]

_HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("info", None): _info,
    ("ping", None): _ping,
    ("nodes", None): _nodes,
    ("namespaces", None): _namespaces,
    ("sets", None): _sets,
    ("truncate", None): _truncate,
    ("index", "list"): _index_list,
    ("index", "create"): _index_create,
    ("index", "remove"): _index_remove,
    ("udf", "list"): _udf_list,
    ("udf", "put"): _udf_put,
    ("udf", "remove"): _udf_remove,
    ("user", "list"): _user_list,
    ("user", "create"): _user_create,
    ("user", "drop"): _user_drop,
    ("user", "grant"): _user_grant,
    ("user", "revoke"): _user_revoke,
    ("user", "set-password"): _user_password,
    ("role", "list"): _role_list,
    ("role", "create"): _role_create,
    ("role", "drop"): _role_drop,
    ("role", "grant"): _role_grant,
    ("role", "revoke"): _role_revoke,
    ("dump", None): _dump,
    ("load", None): _load,
    ("cache", "clear"): _cache_clear,
    ("session", "count"): _session_count,
}
