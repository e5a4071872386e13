#!/usr/bin/env python3
"""The pre-commit path at monorepo scale (issue 11): labcheck against git's own floor.

    python3 bench/scale_bench.py --labcheck .build/release/labcheck          (or: make bench-scale)
    python3 bench/scale_bench.py --packages 100 --modules 50 --labs 10 --stages 100   (smaller)

What it does:
  1. Generates, deterministically (--seed), a git repository under bench/out/: --packages
     subpackages of --modules Python modules each (50-470 lines, a few imports each, all going
     downwards through three layers, so a forbidden and a layers contract hold), and --labs lab
     files of --stages stages each (code stages whose code imports the packages). Committed.
  2. Stages a change to one lab file and one Python file (a second index, made before staging,
     gives the "nothing staged" state through GIT_INDEX_FILE).
  3. Times, interleaved, --runs rounds of: `git diff --cached --name-only` (the floor), `git status
     --porcelain`, and labcheck as a hook meets it: `labcheck check` on a new staged change each
     round (the Python and the lab file edited again, untimed, before the run: the snapshot is
     new, the caches hold the earlier rounds), the same with an import added to the Python file
     (the import graph differs from every earlier one), the same staged state again (answered from the
     result cache), `--no-cache`, nothing staged (a second index, GIT_INDEX_FILE), and `--all`
     on the same state and on a new change. Medians (perf_counter from fork to reaping), ratios
     to the floor, and peak RSS (GNU time, see measure.py).
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

from measure import timed

LAYERS = ["top", "middle", "base"]


def generate(repo, packages, modules, labs, stages, seed):
    r = random.Random(seed)
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    names = []   # (layer index, package, module)
    for p in range(packages):
        layer = p * len(LAYERS) // packages
        names += [(layer, f"p{p:03d}", f"m{m:02d}") for m in range(modules)]
    by_layer = {k: [n for n in names if n[0] >= k] for k in range(len(LAYERS))}
    for layer in LAYERS:
        os.makedirs(os.path.join(repo, "src", "mono", layer), exist_ok=True)
        open(os.path.join(repo, "src", "mono", layer, "__init__.py"), "w").close()
    open(os.path.join(repo, "src", "mono", "__init__.py"), "w").close()
    edges = 0
    for layer, package, module in names:
        directory = os.path.join(repo, "src", "mono", LAYERS[layer], package)
        if not os.path.exists(os.path.join(directory, "__init__.py")):
            os.makedirs(directory, exist_ok=True)
            open(os.path.join(directory, "__init__.py"), "w").close()
        lines = []
        # Imports go to the same layer or below: the contracts hold.
        for _ in range(r.randint(5, 35)):
            l2, p2, m2 = r.choice(by_layer[layer])
            lines.append(f"from mono.{LAYERS[l2]}.{p2} import {m2}" if r.random() < 0.5 else f"import mono.{LAYERS[l2]}.{p2}.{m2}")
            edges += 1
        body = r.randint(50, 470) - len(lines)
        for k in range(max(0, body)):
            lines.append(f"def f{k}(x):\n    return x * {k} + {r.randint(0, 99)}" if k % 3 == 0 else f"VALUE_{k} = {r.randint(0, 10**6)}  # filler")
        with open(os.path.join(directory, module + ".py"), "w") as fh:
            fh.write("\n".join(lines) + "\n")
    for lab in range(labs):
        directory = os.path.join(repo, "labs", f"lab{lab:02d}")
        os.makedirs(directory, exist_ok=True)
        chunks = ['[__meta__]\nschema = "agilab.lab_stages.v1"\n']
        for s in range(stages):
            _, p, m = r.choice(names)
            layer = LAYERS[next(n[0] for n in names if n[1] == p)]
            chunks.append(f'[[flow]]\nid = "s{s:03d}"\nD = "stage {s}"\nC = """\nimport json\nfrom mono.{layer}.{p} import {m}\nprint(json.dumps({s}))\n"""\n')
        with open(os.path.join(directory, "lab_stages.toml"), "w") as fh:
            fh.write("\n".join(chunks))
    with open(os.path.join(repo, ".labcheck.toml"), "w") as fh:
        fh.write('[python]\nroots = ["src"]\n\n'
                 '[[contracts]]\nname = "base stays independent of top"\ntype = "forbidden"\nsource = ["mono.base"]\nforbidden = ["mono.top"]\n\n'
                 '[[contracts]]\nname = "layers"\ntype = "layers"\nlayers = ["mono.top", "mono.middle", "mono.base"]\n')
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    # Packed, as a clone is (and so that `git commit`'s automatic gc, which 20,000 loose objects
    # set off in the background, does not repack the repository while commands are timed).
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "-c", "gc.auto=0", "commit", "-q", "-m", "generated"], ["git", "gc", "-q"]):
        subprocess.run(cmd, cwd=repo, env=env, check=True)
    # The "nothing staged" index, then one lab file and one Python file staged.
    shutil.copy(os.path.join(repo, ".git", "index"), os.path.join(repo, ".git", "index-clean"))
    layer, package, module = changed_paths(packages, modules)
    with open(os.path.join(repo, "src", "mono", LAYERS[layer], package, module + ".py"), "a") as fh:
        fh.write("EXTRA = 1\n")
    if labs > 0:
        with open(os.path.join(repo, "labs", "lab00", "lab_stages.toml"), "a") as fh:
            fh.write('\n[[flow]]\nid = "extra"\nD = "added"\nC = "import json"\n')
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    return len(names), edges


def changed_paths(packages, modules):
    """The (layer, package, module) of the Python file the benchmark changes."""
    p = packages // 2
    return p * len(LAYERS) // packages, f"p{p:03d}", "m00"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labcheck", default=".build/release/labcheck")
    ap.add_argument("--packages", type=int, default=400)
    ap.add_argument("--modules", type=int, default=50)
    ap.add_argument("--labs", type=int, default=50)
    ap.add_argument("--stages", type=int, default=200)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    ap.add_argument("--vs-lint-imports", action="store_true",
                    help="instead: cold `labcheck check --all --no-cache` against `lint-imports --no-cache` on the generated "
                         "project, same two contracts (e.g. --packages 18 --modules 50 --labs 0: 900 files)")
    args = ap.parse_args()
    binary = os.path.abspath(args.labcheck)
    repo = os.path.join(args.out, f"scale-{args.packages}x{args.modules}-{args.labs}x{args.stages}-s{args.seed}")
    started = time.perf_counter()
    files, edges = generate(repo, args.packages, args.modules, args.labs, args.stages, args.seed)
    print(f"generated {files} Python files ({edges} import statements) and {args.labs} lab files of {args.stages} stages "
          f"in {time.perf_counter() - started:.0f} s: {repo}")
    if args.vs_lint_imports:
        return versus_lint_imports(binary, repo, files, args.runs)
    clean = dict(os.environ, GIT_INDEX_FILE=os.path.join(repo, ".git", "index-clean"))
    layer, package, module = changed_paths(args.packages, args.modules)
    py = os.path.join(repo, "src", "mono", LAYERS[layer], package, module + ".py")
    lab = os.path.join(repo, "labs", "lab00", "lab_stages.toml")
    py_text, lab_text = open(py).read(), open(lab).read()
    rounds = iter(range(10**6))

    base_packages = [p for p in range(args.packages) if p * len(LAYERS) // args.packages == len(LAYERS) - 1]

    def new_change(new_import=False):
        """A new staged state (untimed): the Python file and the lab file edited again; with
        `new_import`, the Python file also gains an import (downwards: the contracts hold), so
        the import graph differs from every earlier one."""
        k = next(rounds)
        extra = f"import mono.base.p{base_packages[k % len(base_packages)]:03d}.m{k % args.modules:02d}\n" if new_import else ""
        with open(py, "w") as fh:
            fh.write(py_text + extra + f"ROUND = {k}\n")
        with open(lab, "w") as fh:
            fh.write(lab_text.replace('D = "added"', f'D = "added in round {k}"'))
        subprocess.run(["git", "add", py, lab], cwd=repo, check=True)

    # Warm-up, as a hook would have left things: the commit's tree checked (nothing staged), one
    # staged check.
    for env in (clean, None):
        subprocess.run([binary, "check"], cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    commands = [
        ("git diff --cached --name-only (floor)", ["git", "diff", "--cached", "--name-only"], None, None),
        ("git status --porcelain", ["git", "status", "--porcelain"], None, None),
        ("labcheck check: a new staged change (1 lab + 1 .py)", [binary, "check"], None, new_change),
        ("labcheck check: a new change that adds an import", [binary, "check"], None, lambda: new_change(new_import=True)),
        ("labcheck check: the same staged state again", [binary, "check"], None, None),
        ("labcheck check --no-cache", [binary, "check", "--no-cache"], None, None),
        ("labcheck check: nothing staged", [binary, "check"], clean, None),
        ("labcheck check --all: same state again", [binary, "check", "--all"], None, None),
        ("labcheck check --all: a new staged change", [binary, "check", "--all"], None, new_change),
    ]
    times = {name: [] for name, _, _, _ in commands}
    rss = {name: 0 for name, _, _, _ in commands}
    for _ in range(args.runs):
        for name, cmd, env, setup in commands:
            if setup:
                setup()
            wall, peak, _ = timed(cmd, repo, env)
            times[name].append(wall)
            rss[name] = max(rss[name], peak)
    floor = statistics.median(times[commands[0][0]])
    print(f"median of {args.runs} interleaved rounds; ratio to the floor; peak RSS")
    for name, _, _, _ in commands:
        med = statistics.median(times[name])
        print(f"  {name:46s} {med * 1000:8.1f} ms  x{med / floor:6.1f}  {rss[name] / 1024:7.1f} MiB")


IMPORTLINTER = """[importlinter]
root_package = mono

[importlinter:contract:forbidden]
name = base stays independent of top
type = forbidden
source_modules =
    mono.base
forbidden_modules =
    mono.top

[importlinter:contract:layers]
name = layers
type = layers
layers =
    mono.top
    mono.middle
    mono.base
"""


def versus_lint_imports(binary, repo, files, runs):
    """Cold whole runs, interleaved: labcheck (contracts from .labcheck.toml) and lint-imports
    (the same contracts in an untracked .importlinter, the package found through PYTHONPATH)."""
    with open(os.path.join(repo, ".importlinter"), "w") as fh:
        fh.write(IMPORTLINTER)
    lint_imports = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    if not os.path.exists(lint_imports):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "import-linter"], check=True)
    env = dict(os.environ, PYTHONPATH=os.path.join(repo, "src"))
    commands = [("lint-imports --no-cache", [lint_imports, "--no-cache"], env),
                ("labcheck check --all --no-cache", [binary, "check", "--all", "--no-cache"], None)]
    times = {name: [] for name, _, _ in commands}
    rss = {name: 0 for name, _, _ in commands}
    for _ in range(runs):
        for name, cmd, e in commands:
            wall, peak, status = timed(cmd, repo, e)
            if status not in (0, 1):
                sys.exit(f"{' '.join(cmd)} failed with status {status}")
            times[name].append(wall)
            rss[name] = max(rss[name], peak)
    base = statistics.median(times[commands[0][0]])
    print(f"{files} Python files, two contracts that hold; median of {runs} interleaved cold runs, peak RSS")
    for name, _, _ in commands:
        med = statistics.median(times[name])
        ratio = "" if name.startswith("lint") else f"   {base / med:5.1f}x faster than lint-imports --no-cache"
        print(f"  {name:36s} {med * 1000:8.1f} ms  {rss[name] / 1024:7.1f} MiB{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
