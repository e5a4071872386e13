#!/usr/bin/env python3
"""Differential test of labcheck's Python import scanner against Python's `ast` (issue 14).

    imports_differential.py generate --seed S --count N --out DIR
        writes N generated Python files (every import form, nesting, TYPE_CHECKING blocks,
        strings and comments that look like imports, continuations, non-ASCII identifiers,
        literal dynamic imports) as DIR/case-*.py; files `ast` rejects are not written
    imports_differential.py compare --labcheck-output FILE DIR
        extracts imports with `ast` and compares with `labcheck debug scan-imports` output:
        the same import statements (kind, module, level, name), lines, TYPE_CHECKING marks and
        guarded marks (inside a `try:` whose handler catches ImportError).
        Prints a JSON summary; exit 1 on any difference.
"""
import argparse
import ast
import collections
import json
import os
import random
import sys

NAMES = ["a", "b", "pkg", "mod_1", "x", "ｂ", "ﬁle", "café", "cafe\u0301", "ｍｏｄ", "x²", "Ω", "ǆ", "_p"]


def name(r):
    return r.choice(NAMES)


def dotted(r):
    return ".".join(name(r) for _ in range(r.randint(1, 3)))


def literal_module(r):
    """A str literal naming a module, in one of the forms Python accepts, and its value."""
    value = ".".join(r.choice(["a", "b", "pkg", "x1"]) for _ in range(r.randint(1, 3)))
    form = r.randint(0, 5)
    if form == 0:
        return f'"{value}"'
    if form == 1:
        return f"'{value}'"
    if form == 2:
        head, tail = value[:1], value[1:]
        return f'"{head}" "{tail}"' if tail else f'"{head}"'
    if form == 3:
        return '"""' + value + '"""'
    if form == 4:
        return '"' + value.replace(".", "\\x2e") + '"'
    return "r'" + value + "'"


def statement(r, indent, depth):
    pad = "    " * indent
    k = r.randint(0, 24)
    if k <= 3:
        parts = [dotted(r) + (f" as {name(r)}" if r.random() < 0.3 else "") for _ in range(r.randint(1, 3))]
        if r.random() < 0.2 and len(parts) > 1:
            return [pad + "import " + parts[0] + ", \\", pad + "    " + ", ".join(parts[1:])]
        return [pad + "import " + ", ".join(parts)]
    if k <= 7:
        level = "." * r.choice([0, 0, 0, 1, 2])
        module = dotted(r) if (not level or r.random() < 0.6) else ""
        if not level and not module:
            module = "a"
        if r.random() < 0.1:
            return [pad + f"from {level}{module} import *"] if indent == 0 else [pad + "pass"]
        names = [name(r) + (f" as {name(r)}" if r.random() < 0.2 else "") for _ in range(r.randint(1, 3))]
        if r.random() < 0.3:
            return [pad + f"from {level}{module} import (", *[pad + "    " + n + "," for n in names], pad + ")"]
        return [pad + f"from {level}{module} import " + ", ".join(names)]
    if k == 8:
        return [pad + f'x = "import {name(r)}"  # import {name(r)}']
    if k == 9:
        return [pad + f"s = '''\n{pad}import fake\n{pad}'''"]
    if k == 10:
        return [pad + f"y = 1; import {dotted(r)}"]
    if k == 11:
        return [pad + f"if x: import {dotted(r)}"]
    if k == 12:
        return [pad + f"f = f\"{{'import q'}} {{x!r}}\""]
    if k == 13:
        call = r.choice(["importlib.import_module", "__import__", "il.import_module", "im"])
        arg = "b'bytes'" if r.random() < 0.1 else literal_module(r)
        extra = ", globals()" if call == "__import__" and r.random() < 0.5 else ""
        return [pad + f"m = {call}({arg}{extra})"]
    if k == 14:
        return [pad + "# import commented"]
    if depth >= 3:
        return [pad + "pass"]
    header = r.choice(["def f():", "class C:", "if x:", "while x:", "for i in y:", "with x as y:", "try:",
                       "if TYPE_CHECKING:", "if typing.TYPE_CHECKING:", "if t.TYPE_CHECKING:", "if TYPE_CHECKING and x:"])
    body = []
    for _ in range(r.randint(1, 3)):
        body += statement(r, indent + 1, depth + 1)
    lines = [pad + header] + body
    if header == "try:":
        for _ in range(r.randint(1, 2)):
            handler = r.choice(["except ImportError:", "except ModuleNotFoundError as e:", "except (OSError, ImportError):",
                                "except ValueError:", "except:", "except Exception:", "except KeyError as ImportError:"])
            lines += [pad + handler] + statement(r, indent + 1, depth + 1)
            if handler == "except:":
                break
        if r.random() < 0.3:
            lines += [pad + r.choice(["else:", "finally:"])] + statement(r, indent + 1, depth + 1)
    elif header.startswith("if") and r.random() < 0.4:
        lines += [pad + r.choice(["else:", "elif TYPE_CHECKING:", "elif y:"])] + statement(r, indent + 1, depth + 1)
    return lines


def program(r):
    lines = ["import importlib", "import importlib as il", "from importlib import import_module as im", "import typing", "import typing as t"]
    if r.random() < 0.3:
        lines.insert(0, "from typing import TYPE_CHECKING")
    for _ in range(r.randint(3, 12)):
        lines += statement(r, 0, 0)
    return "\n".join(lines) + "\n"


def generate(args):
    r = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    written = 0
    attempts = 0
    while written < args.count and attempts < args.count * 5:
        attempts += 1
        text = program(r)
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        with open(os.path.join(args.out, f"case-{written:05d}.py"), "w", encoding="utf-8") as fh:
            fh.write(text)
        written += 1
    print(json.dumps({"written": written, "attempts": attempts}))


def is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING" and isinstance(test.value, ast.Name))


CATCHES = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def catches_import_error(handler):
    t = handler.type
    if t is None:
        return True
    items = t.elts if isinstance(t, ast.Tuple) else [t]
    return any((isinstance(x, ast.Name) and x.id in CATCHES) or (isinstance(x, ast.Attribute) and x.attr in CATCHES) for x in items)


def extract(tree):
    """Imports as (kind, module, level, name, line, type_checking, guarded): guarded when
    lexically inside the body of a `try:` one of whose handlers catches ImportError."""
    out = []

    def visit(node, tc, guarded=False):
        if isinstance(node, ast.Import):
            for a in node.names:
                out.append(("import", a.name, 0, None, a.lineno, tc, guarded))
            return
        if isinstance(node, ast.ImportFrom):
            for a in node.names:
                out.append(("from", node.module or "", node.level, a.name, node.lineno, tc, guarded))
            return
        if isinstance(node, ast.Try):
            inner = guarded or any(catches_import_error(h) for h in node.handlers)
            for child in node.body:
                visit(child, tc, inner)
            for part in node.handlers + node.orelse + node.finalbody:
                visit(part, tc, guarded)
            return
        if isinstance(node, ast.Call) and node.args:
            f, arg = node.func, node.args[0]
            dynamic = (isinstance(f, ast.Name) and f.id in ("__import__", "im")) or (
                isinstance(f, ast.Attribute) and f.attr == "import_module" and isinstance(f.value, ast.Name) and f.value.id in ("importlib", "il"))
            if dynamic and isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value and not arg.value.startswith("."):
                out.append(("dynamic", arg.value, 0, None, arg.lineno, tc, guarded))
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.body:
                visit(child, True, guarded)
            for child in node.orelse:
                visit(child, tc, guarded)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, tc, guarded)

    visit(tree, False)
    return out


def compare(args):
    ours = {}
    with open(args.labcheck_output, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            ours[os.path.basename(record["file"])] = record
    counts = collections.Counter()
    problems = []
    for name_ in sorted(os.listdir(args.dir)):
        if not name_.endswith(".py"):
            continue
        counts["files"] += 1
        with open(os.path.join(args.dir, name_), "rb") as fh:
            expected = collections.Counter(extract(ast.parse(fh.read())))
        record = ours.get(name_, {})
        if "imports" not in record:
            problems.append(f"{name_}: labcheck: {record.get('error', 'no output')}")
            continue
        found = collections.Counter((i["kind"], i["module"], i["level"], i["name"], i["line"], i["type_checking"], i["guarded"]) for i in record["imports"])
        counts["imports"] += sum(expected.values())
        counts["dynamic"] += sum(v for k, v in expected.items() if k[0] == "dynamic")
        counts["type_checking"] += sum(v for k, v in expected.items() if k[5])
        counts["guarded"] += sum(v for k, v in expected.items() if k[6])
        counts["non_ascii"] += sum(v for k, v in expected.items() if not (k[1] + (k[3] or "")).isascii())
        if found != expected:
            problems.append(f"{name_}: missing {sorted((expected - found).elements())}, extra {sorted((found - expected).elements())}")
    summary = dict(counts)
    summary["problems"] = problems[:30]
    summary["problem_count"] = len(problems)
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return 1 if problems else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--out", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--labcheck-output", required=True)
    c.add_argument("dir")
    args = p.parse_args()
    if args.command == "generate":
        generate(args)
        return 0
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
