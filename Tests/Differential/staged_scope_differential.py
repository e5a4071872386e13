#!/usr/bin/env python3
"""The staged report scope against its definition, over random sequences of edits (issue 11).

    python3 staged_scope_differential.py --labcheck BIN --seed N --sequences S --steps K --workdir DIR

For each sequence: a small generated repository (package `app` with layers ui > service > core,
a layers, a forbidden and an independence contract, a lab file with code stages importing the
packages), committed. Then K steps, each 1-3 random edits, staged with `git add -A`:
  - add, delete and rename modules (an added `app/core/names.py` changes how an untouched
    `from app.core import names` resolves);
  - add and remove imports (upward ones break the contracts, often through chains of files
    nobody touched in that step);
  - edit a contract (swap two layers, change the forbidden target, now and then to a module
    that does not exist: a configuration error) and `.labcheck.toml`
    (`[python] exclude`);
  - touch the lab file (a stage's code imports, a new stage), add and remove suppressions.
After each step, the incremental run (`labcheck check --format json`, with the result and scan
caches of every earlier step) must equal its definition, computed from cold runs:
  every finding of `labcheck check --all --no-cache` on the staged snapshot that lies in a
  touched file, is a configuration error (LC001/LC002), or is absent (as a multiset of
  fingerprints) from `labcheck check --all --no-cache --rev HEAD` (the diff base);
and its exit code must be the cold `--all` run's whenever both report the same findings'
severities. About half the steps are committed, so the base moves and the caches hold states
the next steps return to; some steps unstage everything (nothing staged).

Prints a JSON summary: sequences, steps, comparisons, findings by kind, and every mismatch.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys

LAYERS = ["ui", "service", "core"]
NAMES = ["alpha", "beta", "gamma", "delta", "names", "tools"]


def git(repo, *args, env):
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def write(repo, path, text):
    full = os.path.join(repo, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as fh:
        fh.write(text)


def modules(repo):
    out = []
    for layer in LAYERS:
        d = os.path.join(repo, "src", "app", layer)
        if os.path.isdir(d):
            out += [f"src/app/{layer}/{n}" for n in sorted(os.listdir(d)) if n.endswith(".py") and n != "__init__.py"]
    return out


def module_name(path):
    return path[len("src/"):-len(".py")].replace("/", ".")


def config(layers, forbidden, exclude):
    text = '[python]\nroots = ["src"]\n'
    if exclude:
        text += 'exclude = ["src/app/service/tools.py"]\n'
    text += ('\n[[contracts]]\nname = "layers"\ntype = "layers"\nlayers = [%s]\n' % ", ".join(f'"app.{l}"' for l in layers))
    text += ('\n[[contracts]]\nname = "core stays pure"\ntype = "forbidden"\nsource = ["app.core"]\nforbidden = ["%s"]\n' % forbidden)
    text += '\n[[contracts]]\nname = "stages apart"\ntype = "forbidden"\nsource = ["__lab__"]\nforbidden = ["app.ui"]\n'
    return text


def lab(stages, notes=None):
    chunks = ['[__meta__]\nschema = "agilab.lab_stages.v1"\n']
    for k, imports in enumerate(stages):
        code = "\\n".join(["import json"] + imports + ["print(1)"])
        note = f" v{notes[k]}" if notes and k in notes else ""
        chunks.append(f'[[flow]]\nid = "s{k}"\nD = "stage {k}{note}"\nC = "{code}\\n"\n')
    return "\n".join(chunks)


def import_line(r, target):
    name = module_name(target)
    package, _, leaf = name.rpartition(".")
    return f"from {package} import {leaf}" if r.random() < 0.5 else f"import {name}"


class Sequence:
    def __init__(self, r, repo, env):
        self.r, self.repo, self.env = r, repo, env
        self.layers = list(LAYERS)
        self.forbidden = "app.ui"
        self.exclude = False
        self.stages = [[], []]
        self.notes = {}

    def generate(self):
        r = self.r
        shutil.rmtree(self.repo, ignore_errors=True)
        os.makedirs(self.repo)
        git(self.repo, "init", "-q", "-b", "main", env=self.env)
        write(self.repo, "src/app/__init__.py", "")
        for k, layer in enumerate(LAYERS):
            # `from app.core import names` names a variable of the package until a module
            # `names.py` appears: then it is an import of that module.
            write(self.repo, f"src/app/{layer}/__init__.py", "names = ['x']\ntools = 1\n")
            for n in r.sample(NAMES[:4], 3):
                write(self.repo, f"src/app/{layer}/{n}.py", "")
        for path in modules(self.repo):
            lines = []
            k = LAYERS.index(path.split("/")[2])
            for _ in range(r.randint(0, 2)):
                below = [m for m in modules(self.repo) if LAYERS.index(m.split("/")[2]) > k]
                if below:
                    lines.append(import_line(r, r.choice(below)))
            lines.append(f"from app.{LAYERS[min(k + 1, 2)]} import names")
            write(self.repo, path, "\n".join(lines) + "\n")
        write(self.repo, ".labcheck.toml", config(self.layers, self.forbidden, self.exclude))
        self.stages = [[import_line(r, r.choice(modules(self.repo)))] for _ in range(3)]
        write(self.repo, "labs/lab_stages.toml", lab(self.stages, self.notes))
        git(self.repo, "add", "-A", env=self.env)
        git(self.repo, "commit", "-q", "-m", "generated", env=self.env)

    def edit(self, kind=None):
        r, repo = self.r, self.repo
        kind = kind or r.choice(["add_module", "delete_module", "rename_module", "add_import", "add_import", "remove_import",
                         "contract", "exclude", "lab", "lab", "suppress", "touch_py", "touch_py", "lab_text", "lab_text"])
        mods = modules(repo)
        if kind == "add_module":
            layer = r.choice(LAYERS)
            name = r.choice(NAMES + [f"extra{r.randint(0, 9)}"])
            path = f"src/app/{layer}/{name}.py"
            if not os.path.exists(os.path.join(repo, path)):
                others = modules(repo)
                write(repo, path, (import_line(r, r.choice(others)) + "\n") if others and r.random() < 0.7 else "")
        elif kind == "delete_module" and len(mods) > 3:
            os.remove(os.path.join(repo, r.choice(mods)))
        elif kind == "rename_module" and mods:
            old = r.choice(mods)
            new = f"src/app/{r.choice(LAYERS)}/{r.choice(NAMES)}_{r.randint(0, 3)}.py"
            if not os.path.exists(os.path.join(repo, new)):
                os.rename(os.path.join(repo, old), os.path.join(repo, new))
        elif kind == "add_import" and len(mods) > 1:
            path = r.choice(mods)
            target = r.choice([m for m in mods if m != path])
            with open(os.path.join(repo, path), "a") as fh:
                fh.write(import_line(r, target) + "\n")
        elif kind == "remove_import" and mods:
            path = os.path.join(repo, r.choice(mods))
            lines = open(path).read().splitlines()
            if lines:
                del lines[r.randrange(len(lines))]
                write(repo, os.path.relpath(path, repo), "\n".join(lines) + ("\n" if lines else ""))
        elif kind == "contract":
            if r.random() < 0.5:
                i, j = r.sample(range(3), 2)
                self.layers[i], self.layers[j] = self.layers[j], self.layers[i]
            else:
                # Now and then a module that does not exist: a configuration error (LC001).
                self.forbidden = r.choice(["app.ui", "app.service", "app.ui", "app.service", "app.nowhere"])
            write(repo, ".labcheck.toml", config(self.layers, self.forbidden, self.exclude))
        elif kind == "exclude":
            self.exclude = not self.exclude
            write(repo, ".labcheck.toml", config(self.layers, self.forbidden, self.exclude))
        elif kind == "lab" and mods:
            if r.random() < 0.3:
                self.stages.append([])
            k = r.randrange(len(self.stages))
            if self.stages[k] and r.random() < 0.4:
                self.stages[k].pop()
            else:
                self.stages[k].append(import_line(r, r.choice(mods)))
            write(repo, "labs/lab_stages.toml", lab(self.stages, self.notes))
        elif kind == "touch_py" and mods:
            # Code that imports nothing: at the end (the imports keep their places), now and
            # then at the top (every import moves down a line).
            path = os.path.join(repo, r.choice(mods))
            text = open(path).read()
            line = f"VALUE_{r.randint(0, 99)} = {r.randint(0, 9)}\n"
            write(repo, os.path.relpath(path, repo), line + text if r.random() < 0.2 else text + line)
        elif kind == "lab_text":
            # A stage's description, not its code (the code keeps its place).
            k = r.randrange(len(self.stages))
            self.notes[k] = self.notes.get(k, 0) + 1
            write(repo, "labs/lab_stages.toml", lab(self.stages, self.notes))
        elif kind == "suppress" and mods:
            path = os.path.join(repo, r.choice(mods))
            lines = open(path).read().splitlines()
            if lines:
                k = r.randrange(len(lines))
                if "# labcheck:" in lines[k]:
                    lines[k] = lines[k].split("  # labcheck:")[0]
                else:
                    lines[k] += "  # labcheck: ignore[LC300,LC301] generated"
                write(repo, os.path.relpath(path, repo), "\n".join(lines) + "\n")
        return kind


def run(labcheck, repo, env, args):
    p = subprocess.run([labcheck, *args, "--format", "json"], cwd=repo, env=env, capture_output=True, text=True)
    try:
        return p.returncode, json.loads(p.stdout)["diagnostics"], p
    except (ValueError, KeyError):
        return p.returncode, None, p


def key(d):
    return (d["id"], d["file"], d["start"]["line"], d["start"]["column"], d["message"])


def canonical(d):
    """Every field of a finding (source line, help, notes, subject, fingerprint), as text."""
    return json.dumps(d, sort_keys=True)


def expected(full, base, touched):
    counts = {}
    for d in base:
        counts[d["fingerprint"]] = counts.get(d["fingerprint"], 0) + 1
    out = []
    for d in full:
        if d["file"] in touched or d["id"] in ("LC001", "LC002"):
            out.append(d)
            continue
        n = counts.get(d["fingerprint"], 0)
        if n > 0:
            counts[d["fingerprint"]] = n - 1
        else:
            out.append(d)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labcheck", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sequences", type=int, default=20)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.invalid", GIT_CONFIG_NOSYSTEM="1", HOME=args.workdir, LANG="C.UTF-8")
    env.pop("LABCHECK_CACHE_DIR", None)
    summary = {"sequences": 0, "steps": 0, "comparisons": 0, "nothing_staged": 0, "edits": {},
               "in_touched": 0, "new_elsewhere": 0, "incremental": 0, "patched": 0, "whole_runs": {}, "also_at_base": 0, "config_errors": 0, "problems": []}
    for s in range(args.sequences):
        r = random.Random(args.seed * 1000 + s)
        repo = os.path.join(args.workdir, f"seq{s}")
        seq = Sequence(r, repo, env)
        seq.generate()
        summary["sequences"] += 1
        for step in range(args.steps):
            summary["steps"] += 1
            if r.random() < 0.12:
                git(repo, "reset", "-q", env=env)     # nothing staged (work-tree edits stay)
                summary["nothing_staged"] += 1
            else:
                # Some steps only edit code that imports nothing or a stage's text: the runs an
                # incremental check answers from the step before.
                quiet = r.random() < 0.35
                for _ in range(1 if quiet else r.randint(1, 3)):
                    kind = seq.edit(r.choice(["touch_py", "lab_text"]) if quiet else None)
                    summary["edits"][kind] = summary["edits"].get(kind, 0) + 1
                git(repo, "add", "-A", env=env)
            code, ours, p = run(args.labcheck, repo, env, ["check", "-v"])
            if "incremental: from " in p.stderr:
                summary["incremental"] += 1
            if "the kept import graph patched" in p.stderr:
                summary["patched"] += 1   # incremental runs that patched the kept import graph
            for line in p.stderr.splitlines():
                if "incremental: a whole run is needed (" in line:
                    why = line.split("(", 1)[1].rstrip(")").split(": ")[-1]
                    first, _, rest = why.partition(" ")
                    if "/" in first or first.endswith((".py", ".toml")):
                        why = "<file> " + rest   # by kind, not by file
                    summary["whole_runs"][why] = summary["whole_runs"].get(why, 0) + 1
            full_code, full, pf = run(args.labcheck, repo, env, ["check", "--all", "--no-cache"])
            _, base, pb = run(args.labcheck, repo, env, ["check", "--all", "--no-cache", "--rev", "HEAD"])
            where = f"sequence {s} step {step}"
            if ours is None or full is None or base is None:
                summary["problems"].append({"where": where, "problem": "a run printed no JSON",
                                            "stderr": [x.stderr[-2000:] for x in (p, pf, pb)]})
                continue
            touched = set(git(repo, "diff", "--cached", "--name-only", "--no-renames", "--diff-filter=d", env=env).split("\n")) - {""}
            want = expected(full, base, touched)
            summary["comparisons"] += 1
            for d in want:
                if d["id"] in ("LC001", "LC002"):
                    summary["config_errors"] += 1
                elif d["file"] in touched:
                    summary["in_touched"] += 1
                else:
                    summary["new_elsewhere"] += 1
            summary["also_at_base"] += len(full) - len(want)
            if sorted(map(key, ours)) != sorted(map(key, want)) or sorted(map(canonical, ours)) != sorted(map(canonical, want)):
                summary["problems"].append({"where": where, "touched": sorted(touched),
                                            "missing": sorted(set(map(key, want)) - set(map(key, ours))),
                                            "extra": sorted(set(map(key, ours)) - set(map(key, want))),
                                            "fields_missing": sorted(set(map(canonical, want)) - set(map(canonical, ours)))[:3],
                                            "fields_extra": sorted(set(map(canonical, ours)) - set(map(canonical, want)))[:3]})
            want_code = 2 if full_code == 2 else (1 if any(d["severity"] == "error" for d in want) else 0)
            if code != want_code:
                summary["problems"].append({"where": where, "problem": f"exit {code}, expected {want_code}", "stderr": p.stderr[-2000:]})
            if r.random() < 0.5:
                git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", f"step {step}", env=env)
        shutil.rmtree(repo, ignore_errors=True)
    summary["problem_count"] = len(summary["problems"])
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0 if not summary["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
