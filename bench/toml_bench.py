#!/usr/bin/env python3
"""Parse the same generated ~8 MB lab file with labcheck's TOML parser and with Python's
tomllib, side by side in one run, and print the throughput ratio.

    python3 bench/toml_bench.py --labcheck .build/release/labcheck   (or: make bench-toml)

Both are timed in-process, best of N runs, excluding process start-up and file reading:
labcheck through its hidden `debug parse-bench` command, tomllib through time.perf_counter.
Both build their full document tree (labcheck's also keeps every key and value span).

Then whole processes, side by side, interleaved (median of --runs, peak RSS from GNU time):
`labcheck check --all --no-cache` on a git repository holding the file as its one lab file
(every check, cold) and `labcheck check --all` (the same, answered from the result cache),
against a Python process that only reads and parses the file with tomllib; and the same two
for a --big-mb (default 50 MB) file, for memory.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tomllib
import statistics
from measure import timed

CODE = '''import json
from pathlib import Path
from {app} import load_cases, score

data_in = "{app}/input/{i}.json"
data_out = "{app}/output/{i}.json"
threshold = {t}
cases = json.loads(Path(data_in).read_text(encoding="utf-8"))
results = [score(case, threshold=threshold) for case in cases["cases"]]
Path(data_out).write_text(json.dumps({{"results": results}}, indent=2) + "\\n", encoding="utf-8")
'''


def generate(target_bytes: int, seed: int = 7, clean: bool = False) -> str:
    """A lab file shaped like real AGILab labs: [[module]] stages with multi-line code,
    inline-table stage arrays with escaped code, and template stages with args. `clean`: code
    stages only, each with its own id and no dependencies, so `labcheck check` finds nothing."""
    rnd = random.Random(seed)
    parts = ['[__meta__]\nschema = "agilab.lab_stages.v1"\nversion = 1\n\n']
    size = len(parts[0])
    i = 0
    while size < target_bytes:
        app = f"app_{i % 37}"
        if clean:
            block = (
                f'[[module_{i % 101}]]\nid = "stage_{i}"\nD = "Stage {i}: evaluate the answer"\n'
                f'Q = "Compare symptoms, evidence, assumptions for case {i}."\nM = "deterministic"\n'
                f"C = '''\n{CODE.format(app=app, i=i, t=rnd.random())}'''\n"
                f'R = "agi.run"\n\n'
            )
        elif i % 3 == 0:
            block = (
                f'[[module_{i % 101}]]\nid = "stage_{i}"\nD = "Stage {i}: evaluate the answer"\n'
                f'Q = "Compare symptoms, evidence, assumptions for case {i}."\nM = "deterministic"\n'
                f"C = '''\n{CODE.format(app=app, i=i, t=rnd.random())}'''\n"
                f'R = "agi.run"\ndepends_on = ["stage_{max(0, i - 3)}"]\n'
                f'produces = ["{app}/output/{i}.json", "{app}/report/{i}.md"]\n\n'
            )
        elif i % 3 == 1:
            code = CODE.format(app=app, i=i, t=rnd.random()).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            block = (
                f'inline_{i % 97} = [\n  {{ D = "Ingest {i}", Q = "Load scenario {i}", M = "", C = "{code}", R = "runpy" }},\n'
                f'  {{ D = "Export {i}", Q = "Write results", M = "", C = "APP = \'{app}\'\\ndata_out = \'{app}/results\'", R = "runpy" }},\n]\n\n'
            )
        else:
            block = (
                f'[[pipeline_{i % 89}]]\nkind = "template"\nid = "run_{i}"\n'
                f'template_id = "pipeline.agi_run.single_action"\ntemplate_version = {1 + i % 3}\n'
                f'app = "{app}"\naction = "reference_allocator"\nengine = "agi.run"\n'
                f'question = "Compute reference allocations for {i}"\n'
                f'[pipeline_{i % 89}.args]\ndata_in = "network_sim/pipeline/{i}"\ntime_horizon = {rnd.randint(1, 64)}\n'
                f'ratio = {rnd.random():.6f}\nenabled = {"true" if i % 2 else "false"}\nworkers = {{ "127.0.0.1" = {1 + i % 4} }}\n\n'
            )
        parts.append(block)
        size += len(block.encode())
        i += 1
    return "".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labcheck", default=".build/release/labcheck", help="the labcheck binary (a release build)")
    ap.add_argument("--mb", type=float, default=8.0, help="size of the generated file in MB")
    ap.add_argument("--runs", type=int, default=5, help="runs of each parser; the best is reported")
    ap.add_argument("--big-mb", type=float, default=50.0, help="size of the file for the memory comparison")
    args = ap.parse_args()

    text = generate(int(args.mb * 1_000_000))
    data = text.encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.lab_stages.toml")
        with open(path, "wb") as fh:
            fh.write(data)

        out = subprocess.run([args.labcheck, "debug", "parse-bench", path, "--runs", str(args.runs)],
                             check=True, capture_output=True, text=True)
        lab = json.loads(out.stdout)

        best_py = float("inf")
        for _ in range(args.runs):
            start = time.perf_counter()
            doc = tomllib.loads(data.decode("utf-8"))
            best_py = min(best_py, time.perf_counter() - start)
        if len(doc) != lab["top_level_keys"]:
            print(f"mismatch: tomllib saw {len(doc)} top-level keys, labcheck {lab['top_level_keys']}", file=sys.stderr)
            return 1

    mb = len(data) / 1e6
    lab_mbs = mb / lab["best_seconds"]
    py_mbs = mb / best_py
    print(f"input: {mb:.2f} MB generated lab file, {lab['top_level_keys']} top-level keys, best of {args.runs} runs each")
    print(f"labcheck TOML parser: {lab['best_seconds'] * 1000:8.1f} ms  {lab_mbs:8.1f} MB/s")
    print(f"python tomllib ({sys.version.split()[0]}): {best_py * 1000:8.1f} ms  {py_mbs:8.1f} MB/s")
    print(f"ratio: labcheck is {lab_mbs / py_mbs:.1f}x tomllib's throughput")
    print()
    for size in (args.mb, args.big_mb):
        whole_process(args.labcheck, generate(int(size * 1_000_000), clean=True).encode(), args.runs)
    return 0


def whole_process(labcheck, data, runs):
    """labcheck's whole `check --all` against a Python process that only parses the file."""
    binary = os.path.abspath(labcheck)
    size_mb = len(data) / 1e6
    with tempfile.TemporaryDirectory() as repo:
        path = os.path.join(repo, "labs", "lab_stages.toml")
        os.makedirs(os.path.dirname(path))
        with open(path, "wb") as fh:
            fh.write(data)
        env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
                   GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
        for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "lab"]):
            subprocess.run(cmd, cwd=repo, env=env, check=True)
        findings = subprocess.run([binary, "check", "--all", "--no-cache", "--format", "json"], cwd=repo, capture_output=True, text=True)
        count = len(json.loads(findings.stdout)["diagnostics"])
        subprocess.run([binary, "check", "--all"], cwd=repo, capture_output=True)   # the result cache
        commands = [
            ("python3: tomllib.load only", [sys.executable, "-c", "import sys, tomllib; tomllib.load(open(sys.argv[1], 'rb'))", path]),
            ("labcheck check --all --no-cache", [binary, "check", "--all", "--no-cache"]),
            ("labcheck check --all (result cached)", [binary, "check", "--all"]),
        ]
        times = {name: [] for name, _ in commands}
        rss = {name: 0 for name, _ in commands}
        del data   # the script's own memory is not the children's (see measure.py)
        for _ in range(runs):
            for name, cmd in commands:
                wall, peak, _ = timed(cmd, repo)
                times[name].append(wall)
                rss[name] = max(rss[name], peak)
    print(f"whole processes, a {size_mb:.1f} MB clean lab file ({count} findings); median of {runs} interleaved runs, peak RSS")
    base = statistics.median(times[commands[0][0]])
    for name, _ in commands:
        med = statistics.median(times[name])
        ratio = "" if name.startswith("python3") else f"   {base / med:5.1f}x faster than tomllib's parse, {rss[name] / max(1, rss[commands[0][0]]):.2f}x its memory"
        print(f"  {name:40s} {med * 1000:8.1f} ms  {rss[name] / 1024:7.1f} MiB{ratio}")


if __name__ == "__main__":
    sys.exit(main())
