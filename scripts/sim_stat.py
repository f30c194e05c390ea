#!/usr/bin/env python3
"""sim_stat.py BASE_URL KEY: prints one number from visionbatch-sim's /sim/stats.

KEY is a dotted path ("requests", "responses.429"); a missing key prints 0.
Used by the integration tests and the benchmarks."""
import json
import sys
import urllib.request

base, key = sys.argv[1], sys.argv[2]
if base.endswith("/v1"):
    base = base[:-3]
with urllib.request.urlopen(base + "/sim/stats", timeout=10) as r:
    value = json.load(r)
for part in key.split("."):
    value = value.get(part, 0) if isinstance(value, dict) else 0
print(value)
