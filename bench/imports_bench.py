#!/usr/bin/env python3
"""labcheck's import-boundary checks vs import-linter and tach, side by side in one run, on sympy.

    python3 bench/imports_bench.py --labcheck .build/release/labcheck      (or: make bench-imports)

What it does:
  1. `pip download --no-deps sympy==1.14.0` (a large pure-Python project from PyPI), unpacks the
     wheel into a fresh git repository under bench/out/ and commits it.
  2. Writes the same two contracts for both tools: a forbidden contract (sympy.core must not
     import sympy.printing, directly or through a chain) and a layers contract (sympy.solvers >
     sympy.simplify > sympy.core). Both have real violations.
     The same modules for tach 0.35 (installed from PyPI into bench/out/venv-tach): sympy.solvers,
     sympy.simplify and sympy.core as three layers, sympy.core with `cannot_depend_on =
     ["sympy.printing"]`. tach checks direct imports only (no chains).
  3. Times, alternating runs: `lint-imports --no-cache`, `tach check`, `labcheck check --all
     --no-cache` (cold: every file read and scanned) and `labcheck check --all` (warm: the scan
     and result caches a pre-commit hook or CI keeps). Wall time (median of N, perf_counter) and
     peak RSS (GNU time, see measure.py).
  4. Compares the findings: the set of direct illegal imports (importer, imported, line) of both
     contracts, and for the forbidden contract the set of (source module, forbidden module) pairs
     that have chains. import-linter's findings come from its own Python API (untimed).
     Differences are listed and classified; dynamic imports are seen only by labcheck.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import time
import subprocess
import sys
import zipfile

import measure

SYMPY = "sympy==1.14.0"
FORBIDDEN = ("sympy.core", "sympy.printing")
LAYERS = ["sympy.solvers", "sympy.simplify", "sympy.core"]

IMPORTLINTER_CONFIG = f"""[importlinter]
root_package = sympy

[importlinter:contract:forbidden]
name = core must not import printing
type = forbidden
source_modules =
    {FORBIDDEN[0]}
forbidden_modules =
    {FORBIDDEN[1]}

[importlinter:contract:layers]
name = sympy layers
type = layers
layers =
""" + "".join(f"    {layer}\n" for layer in LAYERS)

TACH = "tach==0.35.3"
TACH_CONFIG = """source_roots = ["."]
layers = ["solvers", "simplify", "core"]

[[modules]]
path = "sympy.solvers"
layer = "solvers"

[[modules]]
path = "sympy.simplify"
layer = "simplify"

[[modules]]
path = "sympy.core"
layer = "core"
cannot_depend_on = ["sympy.printing"]

[[modules]]
path = "sympy.printing"
"""

# With --config importlinter, labcheck is given no contracts of its own: it reads .importlinter.
LABCHECK_ROOTS_ONLY = """[python]
roots = ["."]
"""

LABCHECK_CONFIG = f"""[python]
roots = ["."]

[[contracts]]
name = "core must not import printing"
type = "forbidden"
source = ["{FORBIDDEN[0]}"]
forbidden = ["{FORBIDDEN[1]}"]

[[contracts]]
name = "sympy layers"
type = "layers"
layers = [{", ".join(f'"{layer}"' for layer in LAYERS)}]
"""


def within(module, package):
    return module == package or module.startswith(package + ".")


def run(cmd, cwd, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


def configure(repo, mode):
    """Writes labcheck's configuration for `mode` (and tach's) and commits them when they changed."""
    text = LABCHECK_ROOTS_ONLY if mode == "importlinter" else LABCHECK_CONFIG
    path = os.path.join(repo, ".labcheck.toml")
    tach = os.path.join(repo, "tach.toml")
    if os.path.exists(path) and open(path).read() == text and os.path.exists(tach) and open(tach).read() == TACH_CONFIG:
        return
    with open(path, "w") as fh:
        fh.write(text)
    with open(tach, "w") as fh:
        fh.write(TACH_CONFIG)
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    for cmd in (["git", "add", "-A"], ["git", "commit", "-q", "-m", f"labcheck config: {mode}"]):
        subprocess.run(cmd, cwd=repo, env=env, check=True)


def prepare(out):
    repo = os.path.join(out, "sympy-repo")
    if os.path.isdir(os.path.join(repo, ".git")):
        return repo
    wheels = os.path.join(out, "wheels")
    os.makedirs(wheels, exist_ok=True)
    if not any(name.endswith(".whl") for name in os.listdir(wheels)):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", SYMPY, "-d", wheels], check=True)
    wheel = next(os.path.join(wheels, n) for n in os.listdir(wheels) if n.endswith(".whl"))
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    zipfile.ZipFile(wheel).extractall(repo)
    for name in os.listdir(repo):
        if name.endswith(".dist-info") or name == "isympy.py":
            p = os.path.join(repo, name)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    with open(os.path.join(repo, ".importlinter"), "w") as fh:
        fh.write(IMPORTLINTER_CONFIG)
    with open(os.path.join(repo, ".labcheck.toml"), "w") as fh:
        fh.write(LABCHECK_CONFIG)
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "sympy"]):
        subprocess.run(cmd, cwd=repo, env=env, check=True)
    return repo


def timed(cmd, cwd):
    """Wall seconds and peak RSS (KiB) of one run (see measure.py), output discarded."""
    wall, peak, status = measure.timed(cmd, cwd)
    if status not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed with status {status}")
    return wall, peak


def importlinter_findings(repo):
    """Direct illegal imports and forbidden chain pairs, from import-linter's own API."""
    sys.path.insert(0, repo)
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        import importlinter.configuration
        from importlinter.application import use_cases
        importlinter.configuration.configure()
        options = use_cases.read_user_options(".importlinter")
        # What `lint-imports` does before checking: import-linter 2.16 registers the contract types
        # the options name, 2.17 registers the built-in ones without arguments.
        if hasattr(use_cases, "_register_contract_types"):
            use_cases._register_contract_types(options)
        else:
            use_cases._register_built_in_contract_types()
        report = use_cases.create_report(options, cache_dir=None)
    finally:
        os.chdir(cwd)
    direct, pairs, chains = set(), set(), {}
    for contract, check in report.get_contracts_and_checks():
        meta = check.metadata
        if "invalid_chains" in meta:
            for item in meta["invalid_chains"]:
                for chain in item["chains"]:
                    if len(chain) == 1:
                        for line in chain[0]["line_numbers"]:
                            direct.add(("forbidden", chain[0]["importer"], chain[0]["imported"], line))
                    else:
                        pair = (chain[0]["importer"], chain[-1]["imported"])
                        pairs.add(pair)
                        chains.setdefault(pair, []).append([(link["importer"], link["imported"]) for link in chain])
        if "invalid_dependencies" in meta:
            for dep in meta["invalid_dependencies"]:
                for route in dep["routes"]:
                    for link in route["chain"] + route["extra_firsts"] + route["extra_lasts"]:
                        if within(link["importer"], dep["importer"]) and within(link["imported"], dep["imported"]):
                            for line in link["line_numbers"]:
                                direct.add(("layers", link["importer"], link["imported"], line))
    return direct, pairs, chains


def tach_binary(out):
    """tach from PyPI in a virtualenv of its own under bench/out (installed once)."""
    venv = os.path.join(out, "venv-tach")
    binary = os.path.join(venv, "bin", "tach")
    if not os.path.exists(binary):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", TACH], check=True)
    return binary


def tach_findings(binary, repo):
    """tach's failures as (kind, importing file, line): it reports direct imports only."""
    r = run([binary, "check"], repo)
    found = set()
    for line in (r.stdout + r.stderr).splitlines():
        m = re.match(r"^\[FAIL\] (\S+\.py):(\d+): .*(cannot depend on|is lower than)", line)
        if m:
            found.add(("forbidden" if m.group(3) == "cannot depend on" else "layers", m.group(1), int(m.group(2))))
    return found


def labcheck_findings(binary, repo):
    r = run([binary, "check", "--all", "--no-cache", "--format", "json"], repo)
    data = json.loads(r.stdout)
    direct, pairs, dynamic, chains = set(), set(), set(), {}
    pattern = re.compile(r"^(\S+) imports (\S+)(:| through)")
    link = re.compile(r"^[^:]+:\d+: (\S+) -> (\S+)")
    for d in data["diagnostics"]:
        m = pattern.match(d["message"])
        if not m:
            continue
        contract = "forbidden" if d["id"] in ("LC300", "LC301") else "layers"
        if m.group(3) == ":":
            key = (contract, m.group(1), m.group(2), d["start"]["line"])
            direct.add(key)
            if any("dynamic import" in n for n in d["notes"]):
                dynamic.add(key)
        elif contract == "forbidden":
            pair = (m.group(1), m.group(2))
            pairs.add(pair)
            chains.setdefault(pair, []).append([link.match(n).groups() for n in d["notes"] if link.match(n)])
    return direct, pairs, dynamic, chains


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labcheck", default=".build/release/labcheck")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    ap.add_argument("--config", choices=["labcheck", "importlinter"], default="labcheck",
                    help="where labcheck reads the contracts: its own .labcheck.toml, or only import-linter's .importlinter")
    args = ap.parse_args()
    binary = os.path.abspath(args.labcheck)
    # The lint-imports installed for this interpreter, called directly: a version manager's shim
    # (pyenv's is a shell script) would add its own start-up, 100-200 ms here, to import-linter's time.
    lint_imports = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    if not os.path.exists(lint_imports):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "import-linter"], check=True)
    repo = prepare(args.out)
    configure(repo, args.config)
    tach = tach_binary(args.out)
    py_files = sum(1 for root, _, files in os.walk(repo) if ".git" not in root for f in files if f.endswith(".py"))

    run([binary, "check", "--all"], repo)  # warm labcheck's scan cache once
    times = {"lint-imports --no-cache": [], "tach check": [], "labcheck check --all --no-cache": [], "labcheck check --all (warm cache)": []}
    rss = {k: 0 for k in times}
    for _ in range(args.runs):
        for name, cmd in (("lint-imports --no-cache", [lint_imports, "--no-cache"]),
                          ("tach check", [tach, "check"]),
                          ("labcheck check --all --no-cache", [binary, "check", "--all", "--no-cache"]),
                          ("labcheck check --all (warm cache)", [binary, "check", "--all"])):
            wall, peak = timed(cmd, repo)
            times[name].append(wall)
            rss[name] = max(rss[name], peak)

    print(f"input: {SYMPY}, {py_files} Python files, same two contracts for both tools "
          f"(labcheck reads them from {'.importlinter' if args.config == 'importlinter' else '.labcheck.toml'}); median of {args.runs} alternating runs")
    print(f"lint-imports: {lint_imports}; tach: {tach} ({TACH})")
    base = statistics.median(times["lint-imports --no-cache"])
    for name, values in times.items():
        med = statistics.median(values)
        tach_median = statistics.median(times["tach check"])
        ratio = "" if name.startswith("lint-imports") else f"   {base / med:5.1f}x faster than lint-imports --no-cache"
        if name.startswith("labcheck"):
            ratio += f", {tach_median / med:4.1f}x faster than tach check"
        print(f"  {name:36s} {med * 1000:7.0f} ms  peak RSS {rss[name] / 1024:6.1f} MiB{ratio}")

    li_direct, li_pairs, li_chains = importlinter_findings(repo)
    lc_direct, lc_pairs, lc_dynamic, lc_chains = labcheck_findings(binary, repo)
    print("\nfindings")
    print(f"  direct illegal imports (contract, importer, imported, line): import-linter {len(li_direct)}, labcheck {len(lc_direct)}, "
          f"both {len(li_direct & lc_direct)}")
    only_lc = sorted(lc_direct - li_direct)
    only_li = sorted(li_direct - lc_direct)
    for key in only_lc:
        reason = "dynamic import (importlib/__import__ with a literal), which import-linter does not see" if key in lc_dynamic else "UNEXPLAINED"
        print(f"    only labcheck: {key}: {reason}")
    for key in only_li:
        print(f"    only import-linter: {key}: UNEXPLAINED")
    print(f"  forbidden (source, forbidden) module pairs with chains: import-linter {len(li_pairs)}, labcheck {len(lc_pairs)}, "
          f"both {len(li_pairs & lc_pairs)}")
    print("    (both tools report shortest chains and drop a chain's imports once it is reported, so a path shared by")
    print("     several module pairs is reported once; among equal-length candidates they pick differently)")

    def tie_break(chain, others):
        """Another tool's chain of equal or shorter length that uses one of this chain's imports."""
        links = set(chain)
        for pair, candidates in others.items():
            for other in candidates:
                if len(other) <= len(chain) and links & set(other):
                    return pair, other
        return None

    unexplained_pairs = []
    for label, mine, theirs, name in (("only labcheck", lc_chains, li_chains, "import-linter"),
                                      ("only import-linter", li_chains, lc_chains, "labcheck")):
        for pair in sorted(set(mine) - set(theirs)):
            chain = min(mine[pair], key=len)
            hit = tie_break(chain, theirs)
            if hit:
                print(f"    {label}: {pair} ({len(chain)} links): tie-break: {name} reports {hit[0]} ({len(hit[1])} links) through a shared import")
            else:
                print(f"    {label}: {pair}: UNEXPLAINED, chain: {' -> '.join([chain[0][0]] + [b for _, b in chain])}")
                unexplained_pairs.append(pair)
    unexplained = [k for k in only_lc if k not in lc_dynamic] + only_li + unexplained_pairs
    print(f"  unexplained differences: {len(unexplained)}")
    # tach reports each direct import between declared modules that its rules refuse, by file and
    # line; labcheck's direct findings of the same contracts, by the importing module's file.
    tach_found = tach_findings(tach, repo)
    def module_file(module):
        path = module.replace(".", "/")
        return path + "/__init__.py" if os.path.exists(os.path.join(repo, path, "__init__.py")) else path + ".py"
    ours = {(kind, module_file(importer), line) for kind, importer, _, line in lc_direct}
    print(f"  direct illegal imports (contract, file, line) vs tach: tach {len(tach_found)}, labcheck {len(ours)}, both {len(tach_found & ours)}")
    print("    (tach sees direct imports between its declared modules only; labcheck's layers contract also reports")
    print("     imports into a layer's submodules through chains, and dynamic imports)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
