#!/bin/sh
# Runs the sharded sweep on the cluster kubectl points at, then the merge (docs/scale-out.md).
# Needs the image (`docker build -t meshtwin .`, pushed where the cluster pulls from; set the
# manifests' image: to its name) and an RWX storage class for pvc.yaml.
set -eu
cd "$(dirname "$0")"
kubectl apply -f pvc.yaml
kubectl delete job meshtwin-sweep meshtwin-merge --ignore-not-found
kubectl apply -f sweep-job.yaml
kubectl wait --for=condition=complete --timeout=24h job/meshtwin-sweep
kubectl apply -f merge-job.yaml
kubectl wait --for=condition=complete --timeout=1h job/meshtwin-merge
kubectl logs job/meshtwin-merge
echo "The merged file is sweep.db on the volume meshtwin-results."
