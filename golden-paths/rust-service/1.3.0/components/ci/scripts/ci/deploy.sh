#!/usr/bin/env bash
# Deploy one environment: pin the image by digest in its Kustomize overlay, apply the overlay
# and wait until every Deployment / Argo Rollout in it has rolled out.
# Called by the CI pipeline (GitHub Actions or GitLab CI) after it has set the kubectl context
# for the target cluster. Needs kubectl and kustomize on PATH.
#
#   usage: scripts/ci/deploy.sh <dev|staging|prod>
#   env:   SERVICE_NAME     container image name used in deploy/base (the kustomize image key)
#          IMAGE            repository to pull from, e.g. 123456789012.dkr.ecr.<region>.amazonaws.com/<name>
#          DIGEST           sha256:<64 hex> digest of the image this pipeline built and pushed
#          ROLLOUT_TIMEOUT  seconds to wait for the rollout (default 1800: canary steps take time)
set -euo pipefail

die() {
  echo "deploy: $*" >&2
  exit 1
}

env_name="${1:-}"
[[ -n "$env_name" ]] || die "usage: $0 <dev|staging|prod>"
overlay="deploy/overlays/${env_name}"
: "${SERVICE_NAME:?SERVICE_NAME is not set}" "${IMAGE:?IMAGE is not set}" "${DIGEST:?DIGEST is not set}"
timeout="${ROLLOUT_TIMEOUT:-1800}"

[[ "$DIGEST" =~ ^sha256:[0-9a-f]{64}$ ]] || die "DIGEST must be sha256:<64 hex digits>, got '${DIGEST}'"
[[ -f "${overlay}/kustomization.yaml" ]] || die "no Kustomize overlay at ${overlay}"
command -v kustomize >/dev/null || die "kustomize is not on PATH"

# 1. Pin the image by digest (a tag can be moved, a digest cannot).
(cd "$overlay" && kustomize edit set image "${SERVICE_NAME}=${IMAGE}@${DIGEST}")

# 2. Refuse to apply manifests that would not run exactly this image, e.g. when the base names
#    its container image differently from SERVICE_NAME and the edit above matched nothing.
rendered="$(mktemp)"
trap 'rm -f "$rendered"' EXIT
kubectl kustomize "$overlay" >"$rendered"
grep -qF "${IMAGE}@${DIGEST}" "$rendered" ||
  die "${overlay} does not reference ${IMAGE}@${DIGEST}: does deploy/base use image '${SERVICE_NAME}'?"

# 3. Apply.
echo "deploy: applying ${overlay} with ${IMAGE}@${DIGEST}"
kubectl apply -k "$overlay"

# 4. Wait for the workloads.
wait_rollout() { # Argo Rollout: canary steps and analysis run in the cluster; follow its phase
  local ns="$1" name="$2" deadline=$((SECONDS + timeout)) status gen observed phase message
  while ((SECONDS < deadline)); do
    status="$(kubectl get rollout "$name" -n "$ns" \
      -o jsonpath='{.metadata.generation}{"\t"}{.status.observedGeneration}{"\t"}{.status.phase}{"\t"}{.status.message}')"
    IFS=$'\t' read -r gen observed phase message <<<"$status" || true
    if [[ "$observed" == "$gen" ]]; then
      case "$phase" in
        Healthy)
          echo "deploy: rollout ${ns}/${name} is healthy"
          return 0
          ;;
        Degraded)
          die "rollout ${ns}/${name} is degraded (${message:-no message}); Argo Rollouts keeps the stable version"
          ;;
        *) ;; # Progressing or Paused (canary step): keep waiting
      esac
    fi
    echo "deploy: rollout ${ns}/${name}: ${phase:-Pending} ${message:-}"
    sleep 15
  done
  die "rollout ${ns}/${name} not healthy after ${timeout}s"
}

workloads="$(kubectl get -f "$rendered" \
  -o jsonpath='{range .items[*]}{.kind}{"\t"}{.metadata.namespace}{"\t"}{.metadata.name}{"\n"}{end}')"
waited=0
while IFS=$'\t' read -r kind ns name; do
  case "$kind" in
    Deployment)
      kubectl rollout status "deployment/${name}" -n "$ns" --timeout="${timeout}s"
      waited=$((waited + 1))
      ;;
    Rollout)
      wait_rollout "$ns" "$name"
      waited=$((waited + 1))
      ;;
    *) ;; # Service, ConfigMap, HPA, ...: nothing to wait for
  esac
done <<<"$workloads"
((waited > 0)) || die "no Deployment or Rollout found in ${overlay}"

summary="Deployed \`${IMAGE}@${DIGEST}\` to **${env_name}**"
echo "deploy: ${summary}"
if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  echo "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
