#!/usr/bin/env python3
"""Differential test of labcheck's TOML decoder against Python's tomllib (issue 14).

    toml_differential.py generate --seed S --count N --out DIR [--seeds DIR]
        writes N generated documents and N mutations of seed documents (toml-test's valid and
        invalid files and the generated ones) as DIR/case-*.toml
    toml_differential.py compare --labcheck-output FILE DIR
        decodes every case with tomllib, compares with labcheck's `debug toml-json-files`
        output (same accept/reject, same values), prints a JSON summary; exit 1 on any
        difference that is not one of the documented ones:
          - a leading byte-order mark (labcheck skips it, tomllib rejects U+FEFF)
          - integers outside 64 bits (TOML 1.0 lets a decoder reject them; labcheck does)
          - date-times Python's datetime cannot hold (leap second 60, year 0)
          - CRLF inside multi-line strings: tomllib turns every CRLF of the document into LF
            before parsing; labcheck keeps the bytes (TOML lets a parser normalise newlines)
"""
import argparse
import datetime
import json
import math
import os
import random
import sys
import tomllib

# ---------------------------------------------------------------- generation

BARE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
STRING_CHARS = ["a", "b", " ", "é", "€", "😀", "\\\\", "\\\"", "\\n", "\\t", "\\u00e9", "\\U0001F600", "'", "#", "=", "[", "\u00a0", "\ufeff"]


def key(r):
    choice = r.random()
    if choice < 0.7:
        return "".join(r.choice(BARE) for _ in range(r.randint(1, 8)))
    if choice < 0.85:
        return '"' + "".join(r.choice(["k", " ", ".", "é", "\\n", "\\\""]) for _ in range(r.randint(0, 5))) + '"'
    return "'" + "".join(r.choice(["k", " ", ".", "é", '"']) for _ in range(r.randint(0, 5))) + "'"


def basic_string(r):
    return '"' + "".join(r.choice(STRING_CHARS).replace("'", "'") for _ in range(r.randint(0, 8))) + '"'


def value(r, depth):
    kinds = ["int", "hex", "oct", "bin", "float", "special", "bool", "basic", "literal", "ml-basic", "ml-literal",
             "odt", "ldt", "ld", "lt"]
    if depth < 3:
        kinds += ["array", "inline"] * 2
    k = r.choice(kinds)
    if k == "int":
        n = r.choice([0, 1, -1, 42, 9223372036854775807, -9223372036854775808, r.randint(-10**6, 10**6), 10**19])
        s = str(n)
        if r.random() < 0.2 and len(s.lstrip("-")) > 3:
            s = s[:-3] + "_" + s[-3:]
        if r.random() < 0.1 and n >= 0:
            s = "+" + s
        return s
    if k == "hex":
        return "0x" + r.choice(["DEADbeef", "0", "1_0", "7FFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF"])
    if k == "oct":
        return "0o" + r.choice(["755", "0", "7_7"])
    if k == "bin":
        return "0b" + r.choice(["1101", "0", "1_0"])
    if k == "float":
        return r.choice(["3.14", "-0.0", "+1.5", "1e10", "6.626e-34", "1_000.5", "5E+22", "0.1", "1.7976931348623157e308", "4.9e-324", "1e400"])
    if k == "special":
        return r.choice(["inf", "+inf", "-inf", "nan", "+nan", "-nan"])
    if k == "bool":
        return r.choice(["true", "false"])
    if k == "basic":
        return basic_string(r)
    if k == "literal":
        return "'" + "".join(r.choice(["a", " ", "\\", '"', "é"]) for _ in range(r.randint(0, 6))) + "'"
    if k == "ml-basic":
        body = "".join(r.choice(["a", "\n", "\\\n   ", '"', '""', "\\t", "é", "\r\n"]) for _ in range(r.randint(0, 8)))
        return '"""' + body + '"""'
    if k == "ml-literal":
        body = "".join(r.choice(["a", "\n", "'", "''", "\\", "é"]) for _ in range(r.randint(0, 8)))
        return "'''" + body + "'''"
    if k == "odt":
        return r.choice(["1979-05-27T07:32:00Z", "1979-05-27T00:32:00-07:00", "1979-05-27 07:32:00.999999+01:30",
                         "2000-02-29T23:59:59.5Z", "1979-05-27t07:32:00z", "1979-05-27T07:32:60Z"])
    if k == "ldt":
        return r.choice(["1979-05-27T07:32:00", "1979-05-27T00:32:00.123", "1979-05-27 07:32:00"])
    if k == "ld":
        return r.choice(["1979-05-27", "2024-02-29", "0001-01-01"])
    if k == "lt":
        return r.choice(["07:32:00", "00:32:00.999999", "23:59:59.1234567"])
    if k == "array":
        items = [value(r, depth + 1) for _ in range(r.randint(0, 4))]
        sep = r.choice([", ", ",\n  ", " ,", ", # c\n "])
        tail = r.choice(["", ",", ",\n"])
        return "[" + sep.join(items) + (tail if items else "") + "]"
    # inline table
    keys = []
    for _ in range(r.randint(0, 3)):
        k2 = key(r)
        if k2 not in keys:
            keys.append(k2)
    return "{ " + ", ".join(f"{k2} = {value(r, depth + 1)}" for k2 in keys) + " }"


def document(r):
    lines = []
    if r.random() < 0.1:
        lines.append("# a comment é")
    used = set()

    def pairs(n):
        local = set()
        for _ in range(n):
            k = key(r)
            if r.random() < 0.15:
                k = k + "." + key(r)
            if k in local:
                continue
            local.add(k)
            comment = r.choice(["", "", " # note", "   #"])
            lines.append(f"{k} = {value(r, 0)}{comment}")

    pairs(r.randint(0, 4))
    for _ in range(r.randint(0, 4)):
        name = key(r)
        if r.random() < 0.3:
            name += "." + key(r)
        if r.random() < 0.3:
            lines.append(f"[[{name}]]")
        else:
            if name in used:
                continue
            used.add(name)
            lines.append(r.choice([f"[{name}]", f"[ {name} ]", f"[{name}] # t"]))
        pairs(r.randint(0, 4))
    eol = "\r\n" if r.random() < 0.1 else "\n"
    return eol.join(lines) + (eol if r.random() < 0.9 else "")


def mutate(r, data):
    data = bytearray(data)
    alphabet = list(b"=[]{}\"'.,#\n\r\t \\0123456789aeflnrstuxzTZ:+-_") + [0xC3, 0xA9, 0xEF, 0xBB, 0xBF, 0x00, 0x7F]
    for _ in range(r.randint(1, 4)):
        op = r.random()
        pos = r.randint(0, len(data))
        if op < 0.4 and data:
            del data[min(pos, len(data) - 1)]
        elif op < 0.8:
            data.insert(pos, r.choice(alphabet))
        elif data:
            data[min(pos, len(data) - 1)] = r.choice(alphabet)
    return bytes(data)


def generate(args):
    r = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    seeds = []
    if args.seeds:
        for root, _, files in os.walk(args.seeds):
            for f in sorted(files):
                if f.endswith(".toml"):
                    with open(os.path.join(root, f), "rb") as fh:
                        seeds.append(fh.read())
    generated = []
    for i in range(args.count):
        text = document(r).encode("utf-8")
        generated.append(text)
        with open(os.path.join(args.out, f"case-g{i:05d}.toml"), "wb") as fh:
            fh.write(text)
    pool = seeds + generated
    for i in range(args.count):
        with open(os.path.join(args.out, f"case-m{i:05d}.toml"), "wb") as fh:
            fh.write(mutate(r, r.choice(pool)))


# ---------------------------------------------------------------- comparison

def tagged(v):
    if isinstance(v, dict):
        return {k: tagged(x) for k, x in v.items()}
    if isinstance(v, list):
        return [tagged(x) for x in v]
    if isinstance(v, bool):
        return {"type": "bool", "value": "true" if v else "false"}
    if isinstance(v, int):
        return {"type": "integer", "value": str(v)}
    if isinstance(v, float):
        return {"type": "float", "value": v}
    if isinstance(v, str):
        return {"type": "string", "value": v}
    if isinstance(v, datetime.datetime):
        return {"type": "datetime" if v.tzinfo else "datetime-local", "value": v}
    if isinstance(v, datetime.date):
        return {"type": "date-local", "value": v}
    if isinstance(v, datetime.time):
        return {"type": "time-local", "value": v}
    raise TypeError(type(v))


def parse_scalar(kind, text):
    if kind == "float":
        return float(text)
    if kind in ("datetime", "datetime-local"):
        return datetime.datetime.fromisoformat(text.replace("z", "Z").replace(" ", "T"))
    if kind == "date-local":
        return datetime.date.fromisoformat(text)
    if kind == "time-local":
        return datetime.time.fromisoformat(text)
    return text


def same(a, b, path="$"):
    """a: tomllib's tagged value, b: labcheck's. Returns None or a difference."""
    if isinstance(a, dict) and "type" in a and set(a) == {"type", "value"} and not isinstance(a["value"], dict):
        if not (isinstance(b, dict) and b.get("type") == a["type"]):
            return f"{path}: type {a['type']} vs {b}"
        try:
            theirs = parse_scalar(b["type"], b["value"])
        except ValueError as e:
            return f"{path}: labcheck value {b['value']!r} unreadable: {e}"
        mine = a["value"]
        if a["type"] == "float":
            if math.isnan(mine) and math.isnan(theirs):
                return None
            return None if mine == theirs and math.copysign(1, mine) == math.copysign(1, theirs) else f"{path}: {mine!r} vs {theirs!r}"
        if a["type"] in ("datetime", "datetime-local", "time-local"):
            # labcheck keeps nanoseconds; Python truncates to microseconds.
            if isinstance(theirs, datetime.datetime) or isinstance(theirs, datetime.time):
                pass
        if a["type"] == "string" and isinstance(theirs, str) and mine == theirs.replace("\r\n", "\n"):
            return None   # documented: tomllib normalises CRLF
        return None if mine == theirs else f"{path}: {mine!r} vs {theirs!r}"
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            return f"{path}: keys {sorted(a)} vs {sorted(b) if isinstance(b, dict) else b}"
        for k in a:
            d = same(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return f"{path}: array of {len(a)} vs {b if not isinstance(b, list) else len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = same(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return f"{path}: {a!r} vs {b!r}"


def documented(data, py_error, lc_error):
    """Why an accept/reject difference is a documented one, or None."""
    text = data.decode("utf-8", "replace")
    if data.startswith(b"\xef\xbb\xbf") and lc_error is None:
        return "leading byte-order mark"
    if py_error is None and lc_error is not None and "does not fit in 64 bits" in lc_error:
        return "integer outside 64 bits"
    if lc_error is None and py_error is not None and (":60" in text or "0000-" in text):
        return "a date-time Python cannot hold"
    return None


def compare(args):
    ours = {}
    with open(args.labcheck_output, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            ours[os.path.basename(record["file"])] = record
    counts = {"cases": 0, "both_accept": 0, "both_reject": 0, "documented": 0}
    problems = []
    for name in sorted(os.listdir(args.dir)):
        if not name.endswith(".toml"):
            continue
        counts["cases"] += 1
        with open(os.path.join(args.dir, name), "rb") as fh:
            data = fh.read()
        try:
            py = tagged(tomllib.loads(data.decode("utf-8")))
            py_error = None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError, OverflowError) as e:
            py, py_error = None, str(e)
        record = ours.get(name)
        if record is None:
            problems.append(f"{name}: no labcheck output")
            continue
        lc_error = record.get("error")
        if (py_error is None) != (lc_error is None):
            why = documented(data, py_error, lc_error)
            if why:
                counts["documented"] += 1
                continue
            problems.append(f"{name}: tomllib {'accepts' if py_error is None else 'rejects (' + py_error + ')'}, "
                            f"labcheck {'accepts' if lc_error is None else 'rejects (' + lc_error + ')'}")
            continue
        if py_error is not None:
            counts["both_reject"] += 1
            continue
        difference = same(py, record["value"])
        if difference:
            why = documented(data, None, None) or ("a date-time Python cannot hold" if ":60" in data.decode("utf-8", "replace") else None)
            if why:
                counts["documented"] += 1
                continue
            problems.append(f"{name}: values differ at {difference}")
        else:
            counts["both_accept"] += 1
    counts["problems"] = problems[:50]
    counts["problem_count"] = len(problems)
    print(json.dumps(counts, indent=1))
    return 1 if problems else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--seeds")
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
