#!/usr/bin/env python3
"""UDP request/reply load for bench/udp-dns: N client processes, each with its own socket (so N sessions through
a proxy) and W datagrams in flight; a reply lets the next datagram go. A datagram without reply for 200 ms counts
as lost and is replaced, so a lossy path slows the load but never stalls it. Prints one line of key=value."""
import argparse
import multiprocessing
import os
import socket
import time


def client(host, port, duration, window, size, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    s.settimeout(0.2)
    payload = os.urandom(size)
    replies = lost = 0
    end = time.monotonic() + duration
    for _ in range(window):
        s.send(payload)
    while time.monotonic() < end:
        try:
            s.recv(65535)
            replies += 1
        except socket.timeout:
            lost += window  # every datagram in flight is presumed lost; refill the window
            for _ in range(window - 1):
                s.send(payload)
        except ConnectionRefusedError:
            lost += 1
        s.send(payload)
    out.put((replies, lost))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--window", type=int, default=16)
    p.add_argument("--size", type=int, default=64)
    a = p.parse_args()
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(a.host, a.port, a.duration, a.window, a.size, out))
             for _ in range(a.clients)]
    start = time.monotonic()
    for proc in procs:
        proc.start()
    results = [out.get(timeout=a.duration + 30) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    elapsed = time.monotonic() - start
    replies = sum(r for r, _ in results)
    lost = sum(l for _, l in results)
    print(f"replies={replies} lost={lost} seconds={elapsed:.2f} rate={replies / a.duration:.0f}")


if __name__ == "__main__":
    main()
