"""metrics_check.py - checks scrapes of visionbatch's /metrics against the run's final
--stats-json. Usage: metrics_check.py STATS_JSON TOTAL FINAL_SCRAPE MIDRUN_SCRAPE...

Every scrape must be strict Prometheus text format 0.0.4 (checked line by line here, and
parsed with prometheus_client's own parser, Debian's python3-prometheus-client). Counters
never go down from one scrape to the next and never pass the final figures; one scrape
must be from the middle of the run; the final scrape equals the --stats-json summary."""
import json
import math
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(rf"^({NAME})(\{{{LABEL}(?:,{LABEL})*\}})? (\S+)$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def strict(text):
    """Line-level check of the exposition format; returns {(name, labels): value}."""
    assert text.endswith("\n"), "the body must end with a newline"
    typed, helped, samples, seen_families = {}, set(), {}, []
    for n, line in enumerate(text.split("\n")[:-1], 1):
        assert line and line == line.strip(), f"line {n}: blank or padded: {line!r}"
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert re.fullmatch(NAME, name) and name not in helped, f"line {n}: {line}"
            helped.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in TYPES and name not in typed, f"line {n}: {line}"
            typed[name] = kind
            seen_families.append(name)
            continue
        assert not line.startswith("#"), f"line {n}: stray comment {line}"
        m = SAMPLE.match(line)
        assert m, f"line {n}: not a sample: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        base = re.sub(r"_(bucket|sum|count)$", "", name) if name not in typed else name
        assert base in typed, f"line {n}: {name} has no # TYPE before it"
        assert base == seen_families[-1], f"line {n}: {name} outside its family's block"
        v = float(value)  # "+Inf" and "NaN" parse too
        assert not math.isnan(v), f"line {n}: NaN"
        key = (name, labels)
        assert key not in samples, f"line {n}: duplicate sample {key}"
        samples[key] = v
    for name, kind in typed.items():
        if kind == "counter":
            assert name.endswith("_total"), f"counter {name} must end in _total"
        if kind == "histogram":
            b = sorted((float(re.search(r'le="([^"]+)"', l).group(1)), v)
                       for (n_, l), v in samples.items() if n_ == name + "_bucket")
            assert b and b[-1][0] == math.inf, f"{name}: no +Inf bucket"
            assert all(x[1] <= y[1] for x, y in zip(b, b[1:])), f"{name}: buckets not cumulative"
            assert b[-1][1] == samples[(name + "_count", "")], f"{name}: +Inf != _count"
    return samples, typed


def parsed(text):
    """The same scrape through prometheus_client's parser: {(name, labels): value}."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def get(samples, name, **labels):
    want = tuple(sorted(labels.items()))
    return samples.get((name, want), 0.0)


def counters(p):
    return {k: v for k, v in p.items()
            if k[0].endswith("_total") or k[0].endswith("_bucket") or k[0].endswith("_count")
            or k[0].endswith("_sum")}


stats = json.load(open(sys.argv[1]))
total = int(sys.argv[2])
texts = [open(f).read() for f in sys.argv[3:]]
final_text, mid_texts = texts[0], texts[1:]
scrapes = []
for t in mid_texts + [final_text]:
    samples, typed = strict(t)
    p = parsed(t)
    assert len(p) == len(samples), (len(p), len(samples))
    assert typed["visionbatch_request_duration_seconds"] == "histogram"
    # within one snapshot: every answer is in the duration histogram; states add up
    answers = sum(v for (n, l), v in p.items() if n == "visionbatch_requests_total")
    assert answers == get(p, "visionbatch_request_duration_seconds_count"), answers
    done = sum(get(p, "visionbatch_images_total", state=s) for s in ("ok", "failed", "skipped"))
    assert done <= total
    assert get(p, "visionbatch_concurrency_limit") == 4
    assert get(p, "visionbatch_images_expected") in (0, total)
    scrapes.append((p, done))

# mid-run: at least one scrape while the run was under way
assert any(0 < d < total for _, d in scrapes[:-1]), [d for _, d in scrapes]
assert any(get(p, "visionbatch_in_flight") > 0 for p, _ in scrapes[:-1]), "never in flight"
# counters only go up, and never past the final figures
for (a, _), (b, _) in zip(scrapes, scrapes[1:]):
    for k, v in counters(a).items():
        assert b.get(k, 0) >= v - 1e-9, f"{k} went down: {v} -> {b.get(k)}"

# the final scrape is the summary
f, done = scrapes[-1]
assert done == stats["images"] == total, (done, stats["images"])
for state in ("ok", "failed", "skipped"):
    assert get(f, "visionbatch_images_total", state=state) == stats[state], state
status = {l[0][1]: v for (n, l), v in f.items() if n == "visionbatch_requests_total"}
assert status == {k: float(v) for k, v in stats["requests_by_status"].items()}, (status, stats)
assert sum(status.values()) == stats["requests"]
assert get(f, "visionbatch_tokens_total", kind="prompt") == stats["prompt_tokens"]
assert get(f, "visionbatch_tokens_total", kind="completion") == stats["completion_tokens"]
assert math.isclose(get(f, "visionbatch_cost_usd_total"), stats["cost_usd"], rel_tol=1e-9)
assert get(f, "visionbatch_retries_total") == stats["retries"]
assert get(f, "visionbatch_rate_limited_total") == stats["rate_limited"]
assert get(f, "visionbatch_uploaded_bytes_total") == stats["bytes_uploaded"]
assert get(f, "visionbatch_request_duration_seconds_count") == stats["latency"]["count"]
assert math.isclose(get(f, "visionbatch_request_duration_seconds_sum"),
                    stats["latency"]["sum_s"], rel_tol=1e-9)
for b in stats["latency"]["buckets"]:
    assert get(f, "visionbatch_request_duration_seconds_bucket", le=str(b["le"])) == b["count"] \
        or get(f, "visionbatch_request_duration_seconds_bucket", le="%g" % b["le"]) == b["count"], b
assert get(f, "visionbatch_in_flight") == 0
print(f"metrics_check: {len(scrapes)} scrapes, mid-run done counts "
      f"{sorted({d for _, d in scrapes[:-1]})}, final agrees with --stats-json")
