#!/usr/bin/env python3
"""bodies.py - turns visionbatch's recorded requests into the peers' inputs.

Usage: bodies.py RECORDED DIR     writes DIR/00000.json, DIR/00001.json, ... : each body
                                  exactly as recorded (the bytes, no newline), in order
       bodies.py --plan DIR N     prints a plan of N requests: body files 0..K-1 in
                                  turn, as `cycle_manifest` cycles over K images
RECORDED is what `visionbatch-sim --record-requests` wrote while visionbatch ran at
concurrency 1 with one preparing thread over a manifest of K images: request i is image
i's. So plan N's multiset of bodies is what visionbatch sends for a manifest of N lines
cycling over the same K images; the bench proves it by recording every client.
"""
import os
import sys


def split(recorded, out):
    """Writes one file per recorded body; prints how many."""
    os.makedirs(out, exist_ok=True)
    n = 0
    with open(recorded, "rb") as f:
        for line in f:
            body = line.rstrip(b"\n")
            if body:
                with open(os.path.join(out, "%05d.json" % n), "wb") as b:
                    b.write(body)
                n += 1
    print(n)


def plan(out, n):
    """Prints n body paths cycling over the body files of out."""
    files = sorted(f for f in os.listdir(out) if f.endswith(".json"))
    base = os.path.abspath(out)
    sys.stdout.writelines(os.path.join(base, files[i % len(files)]) + "\n" for i in range(n))


if __name__ == "__main__":
    if sys.argv[1] == "--plan":
        plan(sys.argv[2], int(sys.argv[3]))
    else:
        split(sys.argv[1], sys.argv[2])
