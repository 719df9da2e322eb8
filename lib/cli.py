"""Command line: the same lib the pages use, for automation and scripting.

    python -m lib.cli import FILE [FILE ...] [--db PATH] [--strict] [--json]
    python -m lib.cli demo [--students N] [--seed S] [--db PATH]
    python -m lib.cli info [--db PATH] [--json]
    python -m lib.cli risk evaluate [--db PATH] [--json] [--k N] [--outcome summative|benchmark]
    python -m lib.cli goals list [--db PATH] [--json]

Exit codes: 0 done; 1 a file or any row rejected (by --strict or by validation);
2 unusable arguments or an unreadable file.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

from lib import store


class UsageError(Exception):
    """Bad arguments: exit code 2 with a one-line message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its usage line
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database file (default: $PLC_LENS_DB or data/plc_lens.duckdb)")


def _print_json(obj) -> None:
    print(json.dumps(obj, default=str))


def cmd_import(args) -> int:
    """Import files; print per-file results; 1 when any file (or row, with --strict) is rejected."""
    from lib import ingest

    con = store.connect(args.db)

    def progress(frac: float, text: str) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r{int(frac * 100):3d}% {text[:60]:<60}", end="", file=sys.stderr)

    results = ingest.import_paths(con, args.files, strict=args.strict, progress=progress)
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        _print_json({"files": [r.as_dict() for r in results]})
    else:
        for r in results:
            if r.status == "unchanged":
                print(f"{r.file}: unchanged: this exact file was already imported; nothing changed")
                continue
            print(f"{r.file}: {r.status} ({r.layout or 'layout unknown'}): {r.rows_loaded} of {r.rows_total} rows "
                  f"loaded, {r.rows_rejected} rejected" + (f", {r.rows_duplicate} exact duplicates loaded once"
                                                          if r.rows_duplicate else ""))
            for e in r.errors[:20]:
                where = ", ".join(x for x in (f"row {e['row']}" if e["row"] is not None else None,
                                              f"column '{e['column']}'" if e["column"] else None) if x)
                print(f"  {r.file}{': ' + where if where else ''}: {e['message']}")
            if len(r.errors) > 20:
                print(f"  ... and {len(r.errors) - 20} more (see the Import page or --json)")
    if any(r.unreadable for r in results):
        return 2
    # Rows dropped by validation count as a rejection for scripts, even when the rest loaded.
    if any(r.status == "rejected" or r.rows_rejected for r in results):
        return 1
    return 0


def cmd_demo(args) -> int:
    """Load the demo school (replacing an earlier demo load)."""
    from lib import demo

    con = store.connect(args.db)
    old = demo.loaded_demo(con)
    if old is not None:
        store.undo_import(con, old)
    cfg = demo.DemoConfig(students=args.students, seed=args.seed)
    import_id = demo.load(con, cfg)
    with store.transaction(con):
        store.set_meta(con, "demo_removed", None)
    c = store.counts(con)
    if args.json:
        _print_json({"import_id": import_id, **c})
    else:
        print(f"Demo school loaded (import {import_id}): {c['students']:,} students, {c['assessments']:,} "
              f"assessments, {c['responses']:,} item responses.")
    return 0


def cmd_info(args) -> int:
    """Print what the database holds."""
    con = store.connect(args.db, read_only=False)
    c = store.counts(con)
    c["schema_version"] = store.schema_version(con)
    c["database"] = str(store.db_path(args.db))
    if args.json:
        _print_json(c)
    else:
        for k, v in c.items():
            print(f"{k:>15}: {v:,}" if isinstance(v, int) else f"{k:>15}: {v}")
    return 0


def cmd_risk_evaluate(args) -> int:
    """Evaluate the early-warning model and the rule baseline on the loaded data."""
    try:
        from lib import risk
    except ImportError:
        print("risk scores are not available in this build", file=sys.stderr)
        return 2
    con = store.connect(args.db)
    result = risk.evaluate(con, k=args.k, outcome=args.outcome)
    if args.json:
        _print_json(result)
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0


def cmd_goals_list(args) -> int:
    """Print every goal: baseline, current value, target (percentages 0-100) and status."""
    from lib import goals

    con = store.connect(args.db)
    rows = goals.list_goals(con)
    if args.json:
        _print_json(rows)
    else:
        if not rows:
            print("No goals yet (write one on the Goals page).")
        for g in rows:
            pct = lambda v: "-" if v is None else f"{v:.1f}%"  # noqa: E731
            print(f"{'  ' * g['depth']}#{g['goal_id']} [{g['status']}] {g['title']}: {g['metric']} "
                  f"{pct(g['baseline_pct'])} -> now {pct(g['current_pct'])} -> target {pct(g['target_pct'])} "
                  f"by {g['target_date']}")
    return 0


# Feature modules add subcommands here: fn(subparsers) -> None.
EXTRA_COMMANDS: list[Callable] = []


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(prog="python -m lib.cli", description="PLC Lens command line")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("import", help="import CSV/XLSX files")
    p.add_argument("files", nargs="+")
    _db_arg(p)
    p.add_argument("--strict", action="store_true", help="refuse a whole file if any row would be rejected")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("demo", help="load the demo school")
    p.add_argument("--students", type=int, default=400)
    p.add_argument("--seed", type=int, default=7)
    _db_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("info", help="what the database holds")
    _db_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("risk", help="early-warning model")
    rsub = p.add_subparsers(dest="risk_command", required=True, parser_class=_Parser)
    r = rsub.add_parser("evaluate", help="evaluate the model and the rule baseline")
    _db_arg(r)
    r.add_argument("--json", action="store_true")
    r.add_argument("--k", type=int, default=None, help="capacity for precision/recall (default: 1 in 5 students)")
    r.add_argument("--outcome", choices=["summative", "benchmark"], default="summative",
                   help="predict the next summative (default) or the next benchmark")
    r.set_defaults(func=cmd_risk_evaluate)
    p = sub.add_parser("goals", help="percentage goals")
    gsub = p.add_subparsers(dest="goals_command", required=True, parser_class=_Parser)
    g = gsub.add_parser("list", help="list goals with baseline, current value, target and status")
    _db_arg(g)
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=cmd_goals_list)
    for extra in EXTRA_COMMANDS:
        extra(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (never a traceback for bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        return args.func(args)
    except store.StoreOpenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
