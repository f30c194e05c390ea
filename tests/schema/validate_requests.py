#!/usr/bin/python3
"""Validate recorded chat-completions request bodies against a JSON Schema.

    validate_requests.py SCHEMA FILE.jsonl

SCHEMA is a draft 2020-12 document such as create-chat-completion-request.schema.json
(made by extract_schema.py); each non-blank line of FILE.jsonl is one request body, as the
simulator's --record-requests FILE writes them. The file is read line by line, so big
recordings (bodies carrying base64 images) need memory for one body at a time.

Prints "N requests valid" and exits 0 when every body validates; otherwise prints each
error (file:line, the message, the JSON path of the offending value) and exits 1. Exits 2
on a usage error, an unreadable file, a schema that is not valid JSON Schema, or a file
with no request in it: a check that validated nothing must not pass.

Needs python3-jsonschema (Debian's, 4.10 or later).
"""

import json
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover - depends on the machine
    print("validate_requests.py: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(2)

MESSAGE_MAX = 300  # messages quote the offending value, which may be a whole image


def shorten(text, limit=MESSAGE_MAX):
    """text cut to at most limit characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 15] + "...[truncated]"


def json_path(error):
    """The JSON path of the value error is about, e.g. $.messages[0].content[1].type."""
    path = "$"
    for part in error.absolute_path:
        path += "[%d]" % part if isinstance(part, int) else ".%s" % part
    return path


def closest(error):
    """For a failed oneOf/anyOf, the reason from the alternative that got furthest: the
    innermost sub-error deepest in the instance (see below for ties). For a user message
    with a bad image detail, that is "'medium' is not one of [...]" at .image_url.detail,
    not "tool_call_id is required" from the tool-message alternative."""
    best, best_key, stack = None, None, list(error.context)
    while stack:
        sub = stack.pop(0)
        if sub.context:
            stack[:0] = sub.context
            continue
        # Among equally deep errors, a wrong "type"/"role" tag or a wrong JSON type only
        # says that an alternative did not apply; anything else says why the right one
        # failed.
        path = list(sub.absolute_path)
        tag_mismatch = sub.validator in ("enum", "const") and path[-1:] in (["type"], ["role"])
        key = (len(path), not tag_mismatch, sub.validator != "type")
        if best is None or key > best_key:
            best, best_key = sub, key
    return best if best is not None else error


def describe(error):
    """One line for error: where, its message, and for a failed oneOf/anyOf (whose own
    message only says "not valid under any of the given schemas") the likeliest reason."""
    text = "%s: %s" % (json_path(error), shorten(error.message))
    if error.context:
        best = closest(error)
        text += " (closest: %s: %s)" % (json_path(best), shorten(best.message))
    return text


def load_schema(path):
    """The validator for the schema in path. Raises OSError, ValueError or SchemaError."""
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    schema_path, data_path = argv[1], argv[2]
    try:
        validator = load_schema(schema_path)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print("validate_requests.py: %s: %s" % (schema_path, shorten(str(e))), file=sys.stderr)
        return 2

    total = invalid = 0
    try:
        with open(data_path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                total += 1
                try:
                    body = json.loads(line)
                except ValueError as e:
                    invalid += 1
                    print("%s:%d: not JSON: %s" % (data_path, lineno, e))
                    continue
                errors = sorted(
                    validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]
                )
                if errors:
                    invalid += 1
                for error in errors:
                    print("%s:%d: %s" % (data_path, lineno, describe(error)))
    except (OSError, UnicodeDecodeError) as e:
        print("validate_requests.py: %s: %s" % (data_path, e), file=sys.stderr)
        return 2

    if total == 0:
        print("validate_requests.py: %s: no requests to validate" % data_path, file=sys.stderr)
        return 2
    if invalid:
        print("%d of %d requests invalid" % (invalid, total))
        return 1
    print("%d requests valid" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
