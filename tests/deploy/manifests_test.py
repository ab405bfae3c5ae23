#!/usr/bin/env python3
"""Checks deploy/'s Kubernetes manifests and Slurm scripts without a cluster (none is reachable
where this project is tested; docs/scale-out.md): the fields that make the sharded sweep work
(batch/v1 Indexed Job, completions = SHARDS, the PVC mounted where RESULTS points, the image the
Dockerfile builds), and the command lines: the shard's `meshtwin sweep ... --shard INDEX/SHARDS`
writing $RESULTS/shard-INDEX.db, the merge reading shard-0 .. shard-(N-1) into sweep.db, and the
Slurm array running the very same sweep. The local harness (deploy/local_harness.py, run by the
deploy_local_harness test) then runs those command lines.
Usage: manifests_test.py SOURCE_DIR MESHTWIN_BINARY"""
import os
import re
import shlex
import subprocess
import sys

import yaml

SRC, BIN = sys.argv[1], sys.argv[2]
D = os.path.join(SRC, "deploy")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def load(*parts):
    with open(os.path.join(D, *parts), encoding="utf-8") as f:
        return yaml.safe_load(f)


def meshtwin_argv(script, subcommand):
    """The argv of the script's `exec meshtwin SUBCOMMAND ...` line (backslash-newlines joined)."""
    text = script.replace("\\\n", " ")
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if words[:3] == ["exec", "meshtwin", subcommand]:
            return words[1:]
    return None


def option(argv, name):
    values = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == name]
    return values


# --- the PVC ---
pvc = load("kubernetes", "pvc.yaml")
check(pvc["apiVersion"] == "v1" and pvc["kind"] == "PersistentVolumeClaim", "pvc.yaml: a v1 PersistentVolumeClaim")
check("ReadWriteMany" in pvc["spec"]["accessModes"], "pvc.yaml: ReadWriteMany (shards on several nodes write at once)")
claim = pvc["metadata"]["name"]

# --- the Indexed Job ---
job = load("kubernetes", "sweep-job.yaml")
spec = job["spec"]
check(job["apiVersion"] == "batch/v1" and job["kind"] == "Job", "sweep-job.yaml: a batch/v1 Job")
check(spec.get("completionMode") == "Indexed", "sweep-job.yaml: completionMode Indexed")
n = int(spec["completions"])
check(n >= 2 and 1 <= int(spec.get("parallelism", n)) <= n, "sweep-job.yaml: completions >= 2, parallelism <= completions")
pod = spec["template"]["spec"]
check(pod.get("restartPolicy") in ("Never", "OnFailure"), "sweep-job.yaml: a Job's pods do not restart Always")
c = pod["containers"][0]
env = {e["name"]: str(e.get("value")) for e in c.get("env", [])}
check(env.get("SHARDS") == str(n), f"sweep-job.yaml: SHARDS ({env.get('SHARDS')}) = completions ({n})")
check(c["image"].split(":")[0].split("/")[-1] == "meshtwin", "sweep-job.yaml: the image is meshtwin (the Dockerfile's)")
mount = c["volumeMounts"][0]
vol = {v["name"]: v for v in pod["volumes"]}[mount["name"]]
check(vol["persistentVolumeClaim"]["claimName"] == claim, "sweep-job.yaml: mounts the PVC of pvc.yaml")
check(env.get("RESULTS") == mount["mountPath"], "sweep-job.yaml: RESULTS is the volume's mountPath")
check(env.get("JOBS") == str(c["resources"]["requests"]["cpu"]), "sweep-job.yaml: --jobs = the CPU request")
check(c.get("command") == ["/bin/sh", "-c"] and len(c.get("args", [])) == 1, "sweep-job.yaml: one sh -c script")
script = c["args"][0]
k8s = meshtwin_argv(script, "sweep")
check(k8s is not None, "sweep-job.yaml: the script ends in `exec meshtwin sweep ...`")
if k8s:
    check(option(k8s, "--shard") == ["$JOB_COMPLETION_INDEX/$SHARDS"], "sweep-job.yaml: --shard $JOB_COMPLETION_INDEX/$SHARDS")
    check(option(k8s, "-o") == ["$out"] and 'out="$RESULTS/shard-$JOB_COMPLETION_INDEX.db"' in script,
          "sweep-job.yaml: -o $RESULTS/shard-$JOB_COMPLETION_INDEX.db")
    check(option(k8s, "--duration") == ["$DURATION"] and option(k8s, "--jobs") == ["$JOBS"],
          "sweep-job.yaml: --duration $DURATION --jobs $JOBS")
    check(os.path.exists(os.path.join(SRC, "scenarios", k8s[2])), f"sweep-job.yaml: bundled scenario {k8s[2]}")
    check(len(option(k8s, "--grid")) >= 1 and int(option(k8s, "--replications")[0]) >= 2, "sweep-job.yaml: a grid, replications")
check('rm -f "$out"' in script, "sweep-job.yaml: a retried pod removes its failed attempt's file")

# Every option the command lines use is one `meshtwin sweep --help` / `merge --help` lists.
for sub, argv in (("sweep", k8s or []),):
    helptext = subprocess.run([BIN, sub, "--help"], capture_output=True, text=True).stdout
    for a in argv:
        if a.startswith("-"):
            check(re.search(r"(^|[ ,])" + re.escape(a) + r"\b", helptext, re.M), f"meshtwin {sub} has no option {a}")

# --- the merge Job ---
merge = load("kubernetes", "merge-job.yaml")
check(merge["apiVersion"] == "batch/v1" and merge["kind"] == "Job", "merge-job.yaml: a batch/v1 Job")
mp = merge["spec"]["template"]["spec"]
mc = mp["containers"][0]
menv = {e["name"]: str(e.get("value")) for e in mc.get("env", [])}
check(menv.get("SHARDS") == str(n), "merge-job.yaml: SHARDS = the sweep Job's completions")
check(mc["image"] == c["image"], "merge-job.yaml: the sweep's image")
mmount = mc["volumeMounts"][0]
check({v["name"]: v for v in mp["volumes"]}[mmount["name"]]["persistentVolumeClaim"]["claimName"] == claim,
      "merge-job.yaml: mounts the PVC")
check(menv.get("RESULTS") == mmount["mountPath"], "merge-job.yaml: RESULTS is the volume's mountPath")
mscript = mc["args"][0]
check('files="$files $RESULTS/shard-$i.db"' in mscript and '"$i" -lt "$SHARDS"' in mscript,
      "merge-job.yaml: merges $RESULTS/shard-0.db .. shard-(SHARDS-1).db")
check(re.search(r'exec meshtwin merge \$files -o "\$RESULTS/sweep.db"', mscript), "merge-job.yaml: meshtwin merge ... -o sweep.db")

# --- Slurm: the same sweep as a job array ---
with open(os.path.join(D, "slurm", "sweep.sbatch"), encoding="utf-8") as f:
    sb = f.read()
m = re.search(r"^#SBATCH --array=(\d+)-(\d+)$", sb, re.M)
check(m and int(m.group(1)) == 0 and int(m.group(2)) == n - 1, f"sweep.sbatch: --array=0-{n - 1} (as many shards as the Job)")
slurm = meshtwin_argv(sb, "sweep")
check(slurm is not None, "sweep.sbatch: exec meshtwin sweep ...")
if slurm and k8s:
    same = [a.replace("$SLURM_ARRAY_TASK_ID", "$JOB_COMPLETION_INDEX") for a in slurm]
    check(same == k8s, f"sweep.sbatch runs the Job's sweep: {slurm} vs {k8s}")
check('out="$RESULTS/shard-$SLURM_ARRAY_TASK_ID.db"' in sb, "sweep.sbatch: -o $RESULTS/shard-$SLURM_ARRAY_TASK_ID.db")
check("SHARDS=${SLURM_ARRAY_TASK_COUNT" in sb, "sweep.sbatch: N is the array's task count")
m_cpu = re.search(r"^#SBATCH --cpus-per-task=(\d+)$", sb, re.M)
check(m_cpu and "JOBS=${SLURM_CPUS_PER_TASK" in sb, "sweep.sbatch: --jobs = the task's CPUs")
with open(os.path.join(D, "slurm", "merge.sbatch"), encoding="utf-8") as f:
    mb = f.read()
check('files+=("$RESULTS/shard-$i.db")' in mb and 'exec meshtwin merge "${files[@]}" -o "$RESULTS/sweep.db"' in mb,
      "merge.sbatch: merges shard-0 .. shard-(SHARDS-1) into sweep.db")
with open(os.path.join(D, "slurm", "submit.sh"), encoding="utf-8") as f:
    sub = f.read()
check("--dependency=\"afterok:" in sub and "SHARDS=$((last + 1))" in sub, "submit.sh: the merge after the array, SHARDS from --array")

# --- the image: the Dockerfile's entrypoint is meshtwin, with the bundled scenarios ---
with open(os.path.join(SRC, "Dockerfile"), encoding="utf-8") as f:
    df = f.read()
check('ENTRYPOINT ["meshtwin"]' in df, "Dockerfile: ENTRYPOINT meshtwin (the Jobs override it with /bin/sh -c)")

for f in failures:
    print("FAIL", f)
print(f"deploy manifests: {len(failures)} failed")
sys.exit(1 if failures else 0)
