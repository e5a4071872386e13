#!/usr/bin/env python3
"""Parse the same generated ~8 MB lab file with labcheck's TOML parser and with Python's
tomllib, side by side in one run, and print the throughput ratio.

    python3 bench/toml_bench.py --labcheck .build/release/labcheck   (or: make bench-toml)

Both are timed in-process, best of N runs, excluding process start-up and file reading:
labcheck through its hidden `debug parse-bench` command, tomllib through time.perf_counter.
Both build their full document tree (labcheck's also keeps every key and value span).
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


def generate(target_bytes: int, seed: int = 7) -> str:
    """A lab file shaped like real AGILab labs: [[module]] stages with multi-line code,
    inline-table stage arrays with escaped code, and template stages with args."""
    rnd = random.Random(seed)
    parts = ['[__meta__]\nschema = "agilab.lab_stages.v1"\nversion = 1\n\n']
    size = len(parts[0])
    i = 0
    while size < target_bytes:
        app = f"app_{i % 37}"
        if i % 3 == 0:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
