#!/usr/bin/python3
"""aio_client.py - bench peer: a plain Python asyncio client written the way the original
article and the OpenAI cookbook batch vision calls: one coroutine per image, an
asyncio.Semaphore bounding the requests in flight, asyncio.gather over all of them,
exponential backoff on 429/5xx (3 retries, 1 s base, as in the article's config).
One shared aiohttp session with a connection pool as large as the concurrency (the
cookbook opens a session per call; sharing one is the kinder variant).

Usage: OPENAI_API_KEY=... aio_client.py BASE_URL CONCURRENCY PLAN
PLAN: one request a line, the path of a file holding the exact body visionbatch sent; it
is posted unchanged (data=, not json=, so the bytes stay identical).
Prints one line: "ok N failed M".
Runs under Debian's /usr/bin/python3 with python3-aiohttp.
"""
import asyncio
import json
import os
import sys

import aiohttp

RETRIES = 3
RETRY_BASE_S = 1.0


async def analyze(session, url, sem, body):
    """Sends one request with retries; returns True when a completion came back."""
    async with sem:
        for attempt in range(RETRIES + 1):
            try:
                async with session.post(url, data=body) as resp:
                    data = await resp.read()
                    if resp.status == 200:
                        return bool(json.loads(data)["choices"])
                    if resp.status not in (429, 500, 502, 503) or attempt == RETRIES:
                        return False
            except aiohttp.ClientError:
                if attempt == RETRIES:
                    return False
            await asyncio.sleep(RETRY_BASE_S * 2 ** attempt)
    return False


async def main():
    base_url, concurrency, plan_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(plan_path, encoding="utf-8") as f:
        plan = [line.strip() for line in f if line.strip()]
    bodies = {}
    for path in plan:
        if path not in bodies:
            with open(path, "rb") as f:
                bodies[path] = f.read()
    headers = {
        "Authorization": "Bearer " + os.environ.get("OPENAI_API_KEY", ""),
        "Content-Type": "application/json",
    }
    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as session:
        url = base_url.rstrip("/") + "/chat/completions"
        results = await asyncio.gather(*(analyze(session, url, sem, bodies[p]) for p in plan))
    ok = sum(results)
    print(f"ok {ok} failed {len(results) - ok}")


if __name__ == "__main__":
    asyncio.run(main())
