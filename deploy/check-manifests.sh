#!/usr/bin/env bash
# Validates deploy/kubernetes/*.yaml offline with kubernetes-validate (PyPI, pinned in
# scripts/requirements-test.txt) against Kubernetes K8S_VERSION's schemas, --strict (unknown
# fields are errors), then proves the validator fails on broken copies, so a pass means something.
#
#   bash deploy/check-manifests.sh [PYTHON]     (PYTHON: the test venv's; default scripts/test-venv.sh)
#
# A pass needs exit status 0, one "passed" line per resource document and no WARN line:
# kubernetes-validate only warns, with status 0, about a kind it has no schema for (a
# misspelled kind, or kustomization.yaml, which is kustomize's file, not a resource: its
# resource list is compared with the folder instead).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
py="${1:-${SWIFT_MULTIURISRC_PYTHON:-}}"
[ -n "$py" ] || py="$(bash "$repo/scripts/test-venv.sh")"
k8s_version="${K8S_VERSION:-1.33.0}"
dir="$repo/deploy/kubernetes"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-manifests.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

manifests=()
for f in "$dir"/*.yaml; do
  [ "$(basename "$f")" = kustomization.yaml ] || manifests+=("$f")
done
[ "${#manifests[@]}" -gt 0 ] || { echo "check-manifests: no manifests in $dir" >&2; exit 1; }

# validate FILE...: 0 when every resource passed, else 1; prints the validator's output.
validate() {
  local out rc=0 docs passed
  out="$(timeout -k 5 120 "$py" -m kubernetes_validate -k "$k8s_version" --strict "$@" 2>&1)" || rc=$?
  printf '%s\n' "$out" | sed -e 's/^/  /'
  docs="$("$py" -c 'import sys, yaml; print(sum(1 for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d))' "$@")"
  passed="$(grep -c '^INFO .* passed for resource ' <<<"$out" || true)"
  [ "$rc" = 0 ] && [ "$passed" = "$docs" ] && ! grep -qE '^(WARN|ERROR|FATAL)' <<<"$out"
}

echo "check-manifests: kubernetes-validate $("$py" -m kubernetes_validate --version) -k $k8s_version --strict"
if ! validate "${manifests[@]}"; then
  echo "check-manifests: FAILED: deploy/kubernetes does not validate" >&2
  exit 1
fi

# kustomization.yaml must name exactly the manifests of the folder.
"$py" - "$dir" <<'EOF' || { echo "check-manifests: FAILED: kustomization.yaml" >&2; exit 1; }
import os, sys, yaml
d = sys.argv[1]
k = yaml.safe_load(open(os.path.join(d, "kustomization.yaml")))
listed = sorted(k.get("resources") or [])
present = sorted(f for f in os.listdir(d) if f.endswith(".yaml") and f != "kustomization.yaml")
if listed != present:
    sys.exit("kustomization.yaml lists %s, the folder holds %s" % (listed, present))
print("  kustomization.yaml lists every manifest: %s" % ", ".join(listed))
EOF

# Copies of deployment.yaml written back by PyYAML: unchanged ("none"), which must pass, so that
# the others fail by their one change: an unknown field (an error only with --strict), a wrong
# type, a misspelled kind (only a WARN from the validator itself).
broken=0
for mutation in none unknown-field wrong-type unknown-kind; do
  copy="$tmp/deployment-$mutation.yaml"
  "$py" - "$dir/deployment.yaml" "$copy" "$mutation" <<'EOF'
import copy, sys, yaml
src, dst, mutation = sys.argv[1:]
original = yaml.safe_load(open(src))
doc = copy.deepcopy(original)
container = doc["spec"]["template"]["spec"]["containers"][0]
if mutation == "unknown-field":
    container["livenessProbe"]["httpGet"]["paths"] = container["livenessProbe"]["httpGet"]["path"]
elif mutation == "wrong-type":
    container["ports"][0]["containerPort"] = "nine thousand"
elif mutation == "unknown-kind":
    doc["kind"] = "Deploymnet"
if (doc == original) != (mutation == "none"):
    sys.exit("mutation %s: the copy is %s the original" % (mutation, "equal to" if doc == original else "not"))
yaml.safe_dump(doc, open(dst, "w"))
EOF
  if [ "$mutation" = none ]; then
    echo "check-manifests: deployment.yaml as PyYAML writes it back, must pass:"
    validate "$copy" || { echo "check-manifests: FAILED: the unchanged copy does not validate" >&2; exit 1; }
    continue
  fi
  echo "check-manifests: broken copy ($mutation), must fail:"
  if validate "$copy"; then
    echo "check-manifests: FAILED: the $mutation copy passed: the validation cannot fail" >&2
    broken=1
  fi
done
[ "$broken" = 0 ] || exit 1
echo "check-manifests: ok (${#manifests[@]} manifests; 3 broken copies refused)"
