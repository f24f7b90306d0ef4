#!/usr/bin/env bash
# deploy/kubernetes/*.yaml validate against Kubernetes 1.30's published
# schemas, offline (kubernetes-validate from PyPI, strict: no unknown
# field), a broken manifest does not, the manifests agree with each other,
# and the ConfigMap's scenario passes `sluice validate`.
# Usage: kubernetes_test.sh SLUICE PYENV
set -euo pipefail
sluice=$1 pyenv=$2
here=$(cd "$(dirname "$0")" && pwd)
deploy="$here/../../deploy/kubernetes"
"$here/../../tools/pyenv.sh" "$pyenv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$pyenv/bin/kubernetes-validate" -k 1.30.0 --strict "$deploy"/*.yaml
sed 's/completionMode: Indexed/completionMode: Indexd/; s/parallelism: /paralelism: /' \
  "$deploy/shards-job.yaml" > "$work/broken.yaml"
if "$pyenv/bin/kubernetes-validate" -k 1.30.0 --strict "$work/broken.yaml" > "$work/broken.txt" 2>&1; then
  echo "a broken Job validated:"; cat "$work/broken.txt"; exit 1
fi
"$pyenv/bin/python" "$here/kubernetes_check.py" "$deploy" "$work/scenario.yaml"
"$sluice" validate "$work/scenario.yaml"
echo "kubernetes manifests: OK"
