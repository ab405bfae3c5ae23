#!/usr/bin/env python3
"""Runs deploy/'s sharded sweep on this machine exactly as the cluster would (docs/scale-out.md):

  kubernetes  every completion index K of kubernetes/sweep-job.yaml runs the container's command
              and arguments from the manifest, with the container's environment from the manifest
              plus JOB_COMPLETION_INDEX=K (what the Job controller sets), then merge-job.yaml's
              command the same way;
  slurm       every array task K of slurm/sweep.sbatch runs the script with SLURM_ARRAY_TASK_ID=K
              and SLURM_ARRAY_TASK_COUNT=N (N from its #SBATCH --array line), then merge.sbatch
              with SHARDS=N, as submit.sh submits them.

Only what a cluster provides is replaced: `meshtwin` on PATH is the binary given (--meshtwin), the
results volume (the manifests' mountPath, Slurm's $RESULTS) is a folder under --workdir, and
--duration, when given, overrides the DURATION variable (the simulated time of each replication)
so that a test finishes quickly. --unsharded also runs the same sweep as one shard (0/1), the file
the merged one must equal. Prints the merged file's path. No cluster, container runtime or Slurm is
needed (none is available where this project is tested); the image itself is not built here.

Usage: local_harness.py kubernetes|slurm --meshtwin BIN --workdir DIR [--duration 2s] [--parallel 2]
                        [--unsharded]
"""
import argparse
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def container_of(job):
    return job["spec"]["template"]["spec"]["containers"][0]


def environment(container, overrides):
    env = {e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e}
    env.update(overrides)
    return env


def run_all(commands, parallel):
    """Runs (argv, env, name) triples, `parallel` at a time; stops at the first failure."""
    def one(item):
        argv, env, name = item
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        return name, done

    failed = False
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        for name, done in pool.map(one, commands):
            last = (done.stdout.strip().splitlines() or [""])[-1]
            print(f"{name}: exit {done.returncode}: {last}")
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                failed = True
    if failed:
        sys.exit(1)


def base_env(args):
    bindir = os.path.join(args.workdir, "bin")
    os.makedirs(bindir, exist_ok=True)
    link = os.path.join(bindir, "meshtwin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.abspath(args.meshtwin), link)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "JOB_COMPLETION"))}
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    return env


def kubernetes(args):
    sweep = load(os.path.join(HERE, "kubernetes", "sweep-job.yaml"))
    merge = load(os.path.join(HERE, "kubernetes", "merge-job.yaml"))
    n = int(sweep["spec"]["completions"])
    parallel = min(args.parallel, int(sweep["spec"].get("parallelism", n)))
    results = os.path.join(args.workdir, "kubernetes")
    os.makedirs(results, exist_ok=True)
    env0 = base_env(args)

    def commands_of(job, index, folder, extra=None):
        c = container_of(job)
        mount = c["volumeMounts"][0]["mountPath"]
        overrides = {}
        env = environment(c, {})
        # The volume: every variable that names the mount path names the local folder instead.
        for k, v in env.items():
            if v == mount:
                overrides[k] = folder
        if args.duration and "DURATION" in env:
            overrides["DURATION"] = args.duration
        if index is not None:
            overrides["JOB_COMPLETION_INDEX"] = str(index)  # what the Job controller sets
        overrides.update(extra or {})
        full = dict(env0)
        full.update(environment(c, overrides))
        return list(c.get("command", [])) + [str(a) for a in c.get("args", [])], full

    shard_runs = []
    for k in range(n):
        argv, env = commands_of(sweep, k, results)
        shard_runs.append((argv, env, f"kubernetes shard {k}/{n}"))
    run_all(shard_runs, parallel)
    argv, env = commands_of(merge, None, results)
    run_all([(argv, env, "kubernetes merge")], 1)
    if args.unsharded:
        folder = os.path.join(args.workdir, "unsharded")
        os.makedirs(folder, exist_ok=True)
        argv, env = commands_of(sweep, 0, folder, {"SHARDS": "1"})
        run_all([(argv, env, "unsharded (shard 0/1)")], 1)
    print(os.path.join(results, "sweep.db"))


def slurm(args):
    script = os.path.join(HERE, "slurm", "sweep.sbatch")
    with open(script, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^#SBATCH --array=(\d+)-(\d+)", text, re.M)
    first, last = int(m.group(1)), int(m.group(2))
    cpus = re.search(r"^#SBATCH --cpus-per-task=(\d+)", text, re.M)
    n = last - first + 1
    results = os.path.join(args.workdir, "slurm")
    env0 = base_env(args)
    env0["RESULTS"] = results
    if args.duration:
        env0["DURATION"] = args.duration
    runs = []
    for k in range(first, last + 1):
        env = dict(env0, SLURM_ARRAY_TASK_ID=str(k), SLURM_ARRAY_TASK_COUNT=str(n), SLURM_CPUS_PER_TASK=cpus.group(1) if cpus else "1")
        runs.append((["bash", script], env, f"slurm array task {k} of {n}"))
    run_all(runs, args.parallel)
    run_all([(["bash", os.path.join(HERE, "slurm", "merge.sbatch")], dict(env0, SHARDS=str(n)), "slurm merge")], 1)
    print(os.path.join(results, "sweep.db"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", choices=["kubernetes", "slurm"])
    p.add_argument("--meshtwin", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--duration")
    p.add_argument("--parallel", type=int, default=2)
    p.add_argument("--unsharded", action="store_true")
    args = p.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    kubernetes(args) if args.target == "kubernetes" else slurm(args)


if __name__ == "__main__":
    main()
