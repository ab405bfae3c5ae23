#!/usr/bin/env python3
"""Validates a JSON (or, with --yaml, YAML) document against a JSON Schema with Debian's
python3-jsonschema. Usage: validate_json.py SCHEMA DOCUMENT [--yaml]. Exit 0 when valid, 1 with
every error (path and message) when not."""
import json
import sys

import jsonschema


def main():
    schema_path, doc_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(doc_path, encoding="utf-8") as f:
        if "--yaml" in sys.argv[3:]:
            import yaml  # python3-yaml, a dependency of python3-jsonschema's tooling on Debian
            doc = yaml.safe_load(f)
        else:
            doc = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path) or "(root)"
        print(f"{doc_path}: {path}: {e.message}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
