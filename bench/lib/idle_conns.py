#!/usr/bin/env python3
"""Opens COUNT TCP connections through a proxy, sends one small HTTP request on each (so the proxy has
connected upstream and relayed both ways), then holds them all idle until told to stop.

Protocol with the caller (bench/run): once every connection has its answer, the script writes
"<count>\n" to --ready-file and waits; it closes everything and exits on SIGTERM/SIGINT, or by itself
after --hold seconds. Any connection that fails makes it print the reason and exit 1 (no ready file).
"""
import argparse
import asyncio
import resource
import signal
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: ferry-bench-idle\r\n\r\n"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--target", required=True, help="HOST:PORT of the proxy")
    p.add_argument("--count", type=int, required=True, help="connections to open")
    p.add_argument("--ready-file", required=True, help="written once all connections are proxied")
    p.add_argument("--parallel", type=int, default=200, help="connection attempts in flight at once")
    p.add_argument("--open-timeout", type=float, default=120.0, help="seconds to open them all")
    p.add_argument("--hold", type=float, default=300.0, help="seconds to hold before giving up on the caller")
    return p.parse_args()


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    elif needed > hard:
        sys.exit(f"idle_conns: {needed} connections need more file descriptors than the hard limit ({hard})")


async def read_response(reader):
    """Reads one HTTP response with a Content-Length body; returns its status line."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return head.split(b"\r\n", 1)[0].decode("latin-1")


async def open_one(host, port, gate):
    async with gate:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(REQUEST)
        await writer.drain()
        status = await read_response(reader)
    if " 200 " not in status + " ":
        writer.close()
        raise RuntimeError(f"unexpected answer: {status!r}")
    return reader, writer


async def main():
    args = parse_args()
    host, port = args.target.rsplit(":", 1)
    raise_fd_limit(args.count + 64)
    gate = asyncio.Semaphore(args.parallel)
    started = time.monotonic()
    tasks = [asyncio.ensure_future(open_one(host, int(port), gate)) for _ in range(args.count)]
    try:
        conns = await asyncio.wait_for(asyncio.gather(*tasks), args.open_timeout)
    except Exception as e:  # report any failure in one line; the caller shows it
        for t in tasks:
            t.cancel()
        opened = sum(1 for t in tasks if t.done() and not t.cancelled() and t.exception() is None)
        print(f"idle_conns: opened {opened} of {args.count} connections to {args.target}, then failed: "
              f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    elapsed = time.monotonic() - started
    with open(args.ready_file, "w") as f:
        f.write(f"{len(conns)}\n")
    print(f"idle_conns: {len(conns)} connections proxied in {elapsed:.1f}s, holding", file=sys.stderr)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.hold)
    except asyncio.TimeoutError:
        print("idle_conns: hold time over, closing", file=sys.stderr)
    for _, writer in conns:
        writer.close()


if __name__ == "__main__":
    asyncio.run(main())
