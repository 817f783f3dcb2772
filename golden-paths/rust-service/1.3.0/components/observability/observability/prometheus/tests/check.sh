#!/bin/sh
# Checks the SLO rules with promtool: syntax (check rules) and behaviour (unit tests).
# slo-rules.yaml is a PrometheusRule; promtool reads plain rule files, so its `spec:` is
# extracted first (everything below `spec:`, de-indented by two spaces).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -n '/^spec:$/,$p' "$here/../slo-rules.yaml" | sed '1d; s/^  //' > "$tmp/slo-rules.yaml"
cp "$here"/*_test.yaml "$tmp/"
promtool check rules "$tmp/slo-rules.yaml"
for t in "$tmp"/*_test.yaml; do
  promtool test rules "$t"
done
