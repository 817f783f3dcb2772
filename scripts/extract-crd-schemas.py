#!/usr/bin/env python3
"""Extract strict JSON Schemas from CustomResourceDefinitions, for tests/it/validators.rs.

The rust-service golden path renders custom resources that kubernetes-validate cannot check, so the
test suite validates them with `check-jsonschema --schemafile` against schemas made here: one file
per (apiVersion, kind), tests/data/crd-schemas/<group>_<version>_<kind>.json, holding the CRD
version's openAPIV3Schema made strict the way the API server prunes:

  * `additionalProperties: false` wherever `properties` are listed, unless the schema says
    `x-kubernetes-preserve-unknown-fields` (or already sets `additionalProperties`), so a
    misspelled field is an error instead of being silently dropped by the cluster;
  * `x-kubernetes-int-or-string` becomes `anyOf: [integer, string]`;
  * `metadata` becomes `{type: object}` (the API server validates it, not the CRD schema);
  * `$schema` is draft-07, and `apiVersion` and `kind` are required and pinned with `const`;
  * `description`s are dropped (they do not take part in validation and are most of the size);
  * a Go (RE2) `(?i)` in a `pattern`, which JSON Schema's ECMA-262 regexes lack, is spelled out
    as `[aA]` classes.

Source CRDs (Apache-2.0; only these derived schemas are committed, never the CRDs themselves):

  argoproj/argo-rollouts  manifests/crds/rollout-crd.yaml
                          manifests/crds/analysis-template-crd.yaml
      master at commit 62aa6d9241cd04eace6a8b9ee191e730152df162 (2026-07-31, after v1.10.0-rc1;
      controller-gen v0.19.0). The v1.9.x and v1.10.0-rc1 tags hold older revisions of both files.
  prometheus-operator/prometheus-operator
                          example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml
                          example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml
      tag v0.93.0 (annotation operator.prometheus.io/version: 0.93.0; controller-gen v0.21.0).

To regenerate (or to move to newer upstream versions, by changing the refs):

  tmp=$(mktemp -d)
  ar=https://raw.githubusercontent.com/argoproj/argo-rollouts/62aa6d9241cd04eace6a8b9ee191e730152df162
  po=https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/v0.93.0
  curl -fsSLo "$tmp/rollout.yaml" "$ar/manifests/crds/rollout-crd.yaml"
  curl -fsSLo "$tmp/analysistemplate.yaml" "$ar/manifests/crds/analysis-template-crd.yaml"
  curl -fsSLo "$tmp/servicemonitor.yaml" \
      "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
  curl -fsSLo "$tmp/prometheusrule.yaml" \
      "$po/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"
  scripts/extract-crd-schemas.py "$tmp"/*.yaml
  cargo test --test it validators

Usage: extract-crd-schemas.py [--out DIR] CRD.yaml...   (DIR defaults to tests/data/crd-schemas)
Needs python3 and PyYAML. Existing schemas in DIR for other kinds are left alone.
"""

import argparse
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "tests", "data", "crd-schemas")
DATA = ("default", "enum", "example", "const")  # values, not schemas: kept as they are


def ecma_pattern(pattern):
    """A Go regular expression as an ECMA-262 one: `(?i)` becomes case classes."""
    head, flag, rest = pattern.partition("(?i)")
    if not flag:
        return pattern
    if "(?" in rest or "[" in rest or "\\" in rest:
        sys.exit(f"pattern {pattern!r}: cannot spell out (?i) here; extend ecma_pattern")
    return head + re.sub(r"[A-Za-z]", lambda m: f"[{m[0].lower()}{m[0].upper()}]", rest)


def strictify(schema):
    """The strict form of an openAPIV3Schema node (recursively), without descriptions."""
    if isinstance(schema, list):
        return [strictify(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "description" and isinstance(value, str):
            continue
        if key in DATA:
            out[key] = value
        elif key == "pattern" and isinstance(value, str):
            out[key] = ecma_pattern(value)
        elif key == "properties":
            # keys of `properties` are field names (a field may be called "description")
            out[key] = {name: strictify(sub) for name, sub in value.items()}
        else:
            out[key] = strictify(value)
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if (
        "properties" in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
        and "additionalProperties" not in out
    ):
        out["additionalProperties"] = False
    return out


def schemas_of(crd):
    """(file name, schema) for every served version of a CRD."""
    group = crd["spec"]["group"]
    kind = crd["spec"]["names"]["kind"]
    for version in crd["spec"]["versions"]:
        if not version.get("served", True):
            continue
        api_version = f"{group}/{version['name']}"
        schema = strictify(version["schema"]["openAPIV3Schema"])
        props = schema.setdefault("properties", {})
        props["apiVersion"] = {"type": "string", "const": api_version}
        props["kind"] = {"type": "string", "const": kind}
        props["metadata"] = {"type": "object"}
        schema["required"] = ["apiVersion", "kind"] + [
            r for r in schema.get("required", []) if r not in ("apiVersion", "kind")
        ]
        head = {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$id": f"crd-schemas/{group}_{version['name']}_{kind}.json",
            "$comment": f"From CRD {crd['metadata']['name']} by scripts/extract-crd-schemas.py, "
            "which names the upstream source (Apache-2.0)",
            "title": f"{kind} ({api_version})",
        }
        yield f"{group}_{version['name']}_{kind}.json", {**head, **schema}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory")
    parser.add_argument("crds", nargs="+", metavar="CRD.yaml")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    written = 0
    for path in args.crds:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        crds = [d for d in docs if d.get("kind") == "CustomResourceDefinition"]
        if not crds:
            sys.exit(f"{path}: no CustomResourceDefinition in it")
        for crd in crds:
            for name, schema in schemas_of(crd):
                target = os.path.join(args.out, name)
                with open(target, "w", encoding="utf-8") as f:
                    json.dump(schema, f, separators=(",", ":"), sort_keys=True)
                    f.write("\n")
                print(f"{os.path.getsize(target):>9} {os.path.relpath(target)}")
                written += 1
    print(f"{written} schemas written to {os.path.relpath(args.out)}")


if __name__ == "__main__":
    main()
