#!/usr/bin/env python3
"""Extract the chat-completions request schema from OpenAI's OpenAPI document.

    extract_schema.py [OPENAPI_JSON [OUTPUT]]

Reads OpenAI's published OpenAPI document (default: /work/shared/openapi/openai-openapi.json),
takes components.schemas.CreateChatCompletionRequest and every schema it reaches through
"$ref" (transitively), and writes them as one standalone JSON Schema (draft 2020-12)
document (default: create-chat-completion-request.schema.json next to this script), with
sorted keys so that regenerating it gives stable diffs.

The document is OpenAPI 3.1 but still uses the OpenAPI 3.0 keyword "nullable" in places,
which JSON Schema ignores: a request sending null for such a field (e.g. "max_tokens": null,
which the API accepts) would wrongly fail. Each "nullable": true is therefore rewritten into
plain JSON Schema that also allows null; see nullable_rewrite().

Standard library only.
"""

import copy
import hashlib
import json
import os
import sys

ROOT = "CreateChatCompletionRequest"
REF_PREFIX = "#/components/schemas/"
DEFAULT_INPUT = "/work/shared/openapi/openai-openapi.json"
DEFAULT_OUTPUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "create-chat-completion-request.schema.json"
)

# Keywords whose value is one schema, a list of schemas, or a map of name -> schema.
# Everything else (enum, default, example, discriminator, x-*) is data, never walked.
SUBSCHEMA_ONE = (
    "items", "additionalProperties", "not", "contains", "propertyNames", "if", "then",
    "else", "unevaluatedItems", "unevaluatedProperties",
)
SUBSCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")

# Keywords that describe a schema rather than constrain it: they stay on the outside when
# a nullable schema without "type" is wrapped in anyOf.
ANNOTATIONS = ("title", "description", "default", "example", "examples", "deprecated")


def subschemas(schema):
    """Yields every direct subschema of schema (a dict)."""
    for key in SUBSCHEMA_ONE:
        if isinstance(schema.get(key), dict):
            yield schema[key]
    for key in SUBSCHEMA_LIST:
        for sub in schema.get(key, ()) if isinstance(schema.get(key), list) else ():
            if isinstance(sub, dict):
                yield sub
    for key in SUBSCHEMA_MAP:
        if isinstance(schema.get(key), dict):
            for sub in schema[key].values():
                if isinstance(sub, dict):
                    yield sub


def refs_in(schema):
    """Returns the set of schema names that schema refers to through "$ref", at any depth.
    Raises ValueError on a reference outside #/components/schemas/."""
    names = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith(REF_PREFIX):
                raise ValueError("unsupported $ref %r" % ref)
            names.add(ref[len(REF_PREFIX):])
        stack.extend(subschemas(node))
    return names


def reachable(schemas, root):
    """Returns the names of root and of every schema reachable from it through "$ref"."""
    seen = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in schemas:
            raise ValueError("$ref to missing schema %r" % name)
        seen.add(name)
        todo.extend(refs_in(schemas[name]) - seen)
    return seen


def nullable_rewrite(schema, counts):
    """Rewrites, in place and at every depth, the OpenAPI 3.0 "nullable" keyword into
    JSON Schema: with "type", null joins the types (and the enum, if any); without one
    (oneOf/anyOf/$ref), the schema becomes {"anyOf": [{"type": "null"}, <schema>]}.
    "nullable": false is just dropped. counts gets one entry per rewrite kind."""
    for sub in list(subschemas(schema)):
        nullable_rewrite(sub, counts)
    if "nullable" not in schema or not isinstance(schema["nullable"], bool):
        return
    nullable = schema.pop("nullable")
    if not nullable:
        counts["dropped false"] = counts.get("dropped false", 0) + 1
        return
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if "null" not in types:
            schema["type"] = types + ["null"]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"].append(None)
        counts["type + null"] = counts.get("type + null", 0) + 1
        return
    inner = {k: v for k, v in schema.items() if k not in ANNOTATIONS}
    outer = {k: v for k, v in schema.items() if k in ANNOTATIONS}
    schema.clear()
    schema.update(outer)
    schema["anyOf"] = [{"type": "null"}, inner]
    counts["anyOf null"] = counts.get("anyOf null", 0) + 1


def all_refs_resolve(doc):
    """Checks that every "$ref" string anywhere in doc points into doc's own schemas
    (a last guard against a keyword subschemas() does not know). Raises ValueError."""
    have = doc["components"]["schemas"]
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (
                not ref.startswith(REF_PREFIX) or ref[len(REF_PREFIX):] not in have
            ):
                raise ValueError("unresolved $ref %r in the output" % ref)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def extract(openapi, source_sha256):
    """Returns (the standalone JSON Schema document, the nullable rewrite counts)."""
    schemas = openapi["components"]["schemas"]
    names = reachable(schemas, ROOT)
    subset = {name: copy.deepcopy(schemas[name]) for name in names}
    counts = {}
    for schema in subset.values():
        nullable_rewrite(schema, counts)
    info = openapi.get("info", {})
    comment = (
        "Generated file: do not edit. CreateChatCompletionRequest and the %d schemas it "
        "references, extracted from OpenAI's OpenAPI document (openai/openai-openapi, "
        "openapi.json, info.version %s, sha256 %s; OpenAPI %s). That document is published by OpenAI "
        "under the MIT license (info.license: %s). OpenAPI 3.0 'nullable: true' was "
        "rewritten as JSON Schema that also allows null. Regenerate with: "
        "python3 tests/schema/extract_schema.py /path/to/openai-openapi.json"
        % (
            len(names) - 1,
            info.get("version", "?"),
            source_sha256,
            openapi.get("openapi", "?"),
            info.get("license", {}).get("name", "?"),
        )
    )
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": comment,
        "$ref": REF_PREFIX + ROOT,
        "components": {"schemas": subset},
    }
    all_refs_resolve(doc)
    return doc, counts


def main(argv):
    if len(argv) > 3 or (len(argv) > 1 and argv[1] in ("-h", "--help")):
        print(__doc__.strip(), file=sys.stderr if len(argv) > 3 else sys.stdout)
        return 2 if len(argv) > 3 else 0
    src = argv[1] if len(argv) > 1 else DEFAULT_INPUT
    dst = argv[2] if len(argv) > 2 else DEFAULT_OUTPUT
    try:
        with open(src, "rb") as f:
            raw = f.read()
        openapi = json.loads(raw)
        doc, counts = extract(openapi, hashlib.sha256(raw).hexdigest())
    except (OSError, ValueError, KeyError) as e:
        print("extract_schema.py: %s: %s" % (src, e), file=sys.stderr)
        return 1
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    tmp = dst + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, dst)
    except OSError as e:
        print("extract_schema.py: %s: %s" % (dst, e), file=sys.stderr)
        return 1
    print(
        "wrote %s: %d schemas; nullable rewritten: %s"
        % (dst, len(doc["components"]["schemas"]),
           ", ".join("%s %d" % kv for kv in sorted(counts.items())) or "none")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
