#!/usr/bin/env python3
"""impair.py - a userspace link impairer for tests (the kernel here has no netem).

A TCP proxy on 127.0.0.1 (port picked by the kernel, printed on stdout) in front of
TARGET_PORT on 127.0.0.1. Each request on a connection (the first bytes the client sends
after the server last spoke) draws its fate before any of its bytes reach the server:

  drop   the connection is closed at once: the server never sees the request (a queue
         drop; nothing can be billed)
  stall  nothing moves either way for --stall-s seconds, then the connection is closed
         (the server never sees the request)
  lose   forwarded, but the connection is closed when the answer starts: the server
         did the work (and bills it), the client never sees it
  pass   forwarded, each chunk both ways after --delay-ms

Counters go to --stats FILE (JSON) on SIGTERM and every second: requests, passed,
dropped, stalled, lost.
"""
import argparse
import asyncio
import json
import random
import signal
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target_port", type=int)
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--drop-rate", type=float, default=0)
    ap.add_argument("--stall-rate", type=float, default=0)
    ap.add_argument("--stall-s", type=float, default=5)
    ap.add_argument("--lose-rate", type=float, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stats", default=None)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    stats = {"requests": 0, "passed": 0, "dropped": 0, "stalled": 0, "lost": 0}

    def fate():
        stats["requests"] += 1
        u = rng.random()
        if u < a.drop_rate:
            stats["dropped"] += 1
            return "drop"
        if u < a.drop_rate + a.stall_rate:
            stats["stalled"] += 1
            return "stall"
        if u < a.drop_rate + a.stall_rate + a.lose_rate:
            stats["lost"] += 1
            return "lose"
        stats["passed"] += 1
        return "pass"

    def save():
        if a.stats:
            with open(a.stats + ".tmp", "w") as f:
                json.dump(stats, f)
            import os
            os.replace(a.stats + ".tmp", a.stats)

    async def handle(cr, cw):
        sr = sw = None
        state = {"server_spoke": True, "lose": False}  # next client bytes start a request
        try:
            sr, sw = await asyncio.open_connection("127.0.0.1", a.target_port)

            async def up():
                while True:
                    data = await cr.read(65536)
                    if not data:
                        break
                    if state["server_spoke"]:
                        state["server_spoke"] = False
                        f = fate()
                        if f == "drop":
                            raise ConnectionError("dropped")
                        if f == "stall":
                            await asyncio.sleep(a.stall_s)
                            raise ConnectionError("stalled")
                        state["lose"] = f == "lose"
                    if a.delay_ms:
                        await asyncio.sleep(a.delay_ms / 1000)
                    sw.write(data)
                    await sw.drain()

            async def down_():
                while True:
                    data = await sr.read(65536)
                    if not data:
                        break
                    state["server_spoke"] = True
                    if state["lose"]:
                        raise ConnectionError("answer lost")
                    if a.delay_ms:
                        await asyncio.sleep(a.delay_ms / 1000)
                    cw.write(data)
                    await cw.drain()

            t1 = asyncio.ensure_future(up())
            t2 = asyncio.ensure_future(down_())
            await asyncio.wait([t1, t2], return_when=asyncio.FIRST_COMPLETED)
            for t in (t1, t2):
                t.cancel()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            for w in (cw, sw):
                if w is not None:
                    try:
                        w.transport.abort()
                    except Exception:
                        pass

    async def run():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))

        async def saver():
            while True:
                save()
                await asyncio.sleep(1)

        s = asyncio.ensure_future(saver())
        await stop
        s.cancel()
        save()
        server.close()

    asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
