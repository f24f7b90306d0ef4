"""deploy/kubernetes/ hangs together: the shards are an Indexed Job whose
completions, parallelism and --shard N agree, every pod begins at the same
--start-at, the merge Job mounts the scenario where the shards did, and the
scenario in the ConfigMap is written out for `sluice validate`.

  kubernetes_check.py DEPLOY_DIR SCENARIO_OUT
"""
import glob
import os
import sys

import yaml


def main(folder, scenario_out):
    docs = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.yaml"))):
        with open(path) as f:
            for d in yaml.safe_load_all(f):
                docs[(d["kind"], d["metadata"]["name"])] = d
    failures = []
    shards = docs[("Job", "sluice-shards")]["spec"]
    pod = shards["template"]["spec"]["containers"][0]
    args = pod["args"]
    n = int(args[args.index("--shard") + 1].split("/")[1])
    if shards.get("completionMode") != "Indexed":
        failures.append("the shards' Job is not Indexed")
    if not (shards["completions"] == shards["parallelism"] == n):
        failures.append(f"completions {shards['completions']}, parallelism {shards['parallelism']} and --shard N {n} differ")
    if args[args.index("--shard") + 1] != f"$(JOB_COMPLETION_INDEX)/{n}":
        failures.append("--shard is not $(JOB_COMPLETION_INDEX)/N")
    if "--start-at" not in args:
        failures.append("the shards have no --start-at")
    merge = docs[("Job", "sluice-merge")]["spec"]["template"]["spec"]
    mounts = lambda spec: {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    if mounts(merge) != mounts(docs[("Job", "sluice-shards")]["spec"]["template"]["spec"]):
        failures.append("the merge Job mounts the scenario or the results elsewhere than the shards")
    with open(scenario_out, "w") as f:
        f.write(docs[("ConfigMap", "sluice-scenario")]["data"]["scenario.yaml"])
    for f in failures:
        print("FAIL:", f)
    print(f"deploy/kubernetes: {len(docs)} resources, {n} shards")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
