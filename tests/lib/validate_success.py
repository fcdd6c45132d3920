#!/usr/bin/python3
"""Validate every JSON success body of an imported contract against the
schema its OpenAPI description gives the operation's 2xx (JSON Schema
2020-12, as OpenAPI 3.1 has it; 3.0's nullable read as a null type).

usage: validate_success.py SPEC.yaml CONTRACT.json
prints one line per operation that fails, then 'checked N, failed M'."""
import json
import sys

import jsonschema
import yaml


def nullable_to_type(node):
    """OpenAPI 3.0's 'nullable: true' in 2020-12 terms."""
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for v in node.values():
            nullable_to_type(v)
    elif isinstance(node, list):
        for v in node:
            nullable_to_type(v)


def success_schema(spec, method, path):
    for key, item in spec["paths"].items():
        if key.split("?")[0] != path:
            continue
        op = item.get(method.lower())
        if not op:
            continue
        codes = sorted(str(k) for k in op.get("responses", {}) if str(k).startswith("2"))
        if not codes:
            return None
        resp = op["responses"].get(codes[0], op["responses"].get(int(codes[0]) if codes[0].isdigit() else codes[0]))
        if "$ref" in resp:
            resp = resolve(spec, resp["$ref"])
        media = resp.get("content", {}).get("application/json")
        return media.get("schema") if media else None
    return None


def resolve(spec, ref):
    node = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def main():
    spec = yaml.load(open(sys.argv[1]), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    nullable_to_type(spec)
    contract = json.load(open(sys.argv[2]))
    checked = failed = 0
    for op in contract.get("operations", []):
        if op.get("success_type", "application/json") != "application/json" or "success" not in op:
            continue
        schema = success_schema(spec, op["method"], op["path"])
        if schema is None:
            continue
        root = {"components": spec.get("components", {}), "allOf": [schema]}
        checked += 1
        errors = list(jsonschema.Draft202012Validator(root).iter_errors(op["success"]))
        if errors:
            failed += 1
            e = errors[0]
            print("%s %s: %s at /%s" % (op["method"], op["path"], e.message[:200],
                                        "/".join(map(str, e.absolute_path))))
    print("checked %d, failed %d" % (checked, failed))
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
