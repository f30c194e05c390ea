#!/usr/bin/env python3
"""curl_config.py - the curl peer's config: every request of a plan as a curl -K block.

Usage: curl_config.py BASE_URL PLAN [OUTDIR] > CONFIG
then:  curl --parallel --parallel-max N -K CONFIG
Each block posts one body file unchanged (--data-binary @FILE) with the same headers
visionbatch sends, discards the answer and prints its HTTP status (-w), so the caller can
count successes. retry = 3 lets curl retry 429/5xx as users would (it honours
retry-after). curl 7.88 cannot retry a transfer written to /dev/null (it fails to truncate
it, exit 23), so when retries matter, OUTDIR gives each answer a file of its own. The API key is read from $OPENAI_API_KEY into the config file, never argv.
"""
import os
import sys


def main():
    base_url, plan_path = sys.argv[1], sys.argv[2]
    outdir = sys.argv[3] if len(sys.argv) > 3 else None
    url = base_url.rstrip("/") + "/chat/completions"
    key = os.environ.get("OPENAI_API_KEY", "")
    out = sys.stdout
    with open(plan_path, encoding="utf-8") as plan:
        first = True
        for i, line in enumerate(plan):
            path = line.strip()
            if not path:
                continue
            if not first:
                out.write("next\n")
            first = False
            out.write(f'url = "{url}"\n'
                      f'data-binary = "@{path}"\n'
                      'header = "Content-Type: application/json"\n'
                      f'header = "Authorization: Bearer {key}"\n'
                      f'output = "{os.path.join(outdir, str(i)) if outdir else "/dev/null"}"\n'
                      'write-out = "%{http_code}\\n"\n'
                      'silent\n'
                      'retry = 3\n')


if __name__ == "__main__":
    main()
