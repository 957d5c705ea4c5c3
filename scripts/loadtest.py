#!/usr/bin/env python3
"""Hostile load against one `tlskit serve --mode echo` on 127.0.0.1 (issue 14). Python 3 standard library only.

Phase A: STALLED half-open handshakes (TCP connect + a partial ClientHello, then silence) and SLOW readers
(complete handshake, send data, never read), then a fresh client's handshake + echo while they are all there.
Phase B: for DURATION seconds, clients killed (RST) mid-handshake and mid-record in a loop, with fresh clients
timed throughout.

Reports the server's VmRSS and open fds (from /proc) before, during and after each phase, whether the server keeps
reading from a reader that never reads (backpressure), and what the handshake timeout does to stalled handshakes.
Exits 1 when a bound is violated: RSS growth over --max-rss-growth-mb, an fd leak after the clients went, a fresh
client slower than 1 s. Not part of the test suite or CI (it takes a few minutes).

    swift build --product tlskit
    python3 scripts/loadtest.py [--server .build/debug/tlskit] [--stalled 1000] [--slow 1000] [--duration 60]
"""

import argparse
import os
import resource
import select
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def snapshot(pid, label, figures):
    rss, fds = rss_kib(pid) / 1024, fd_count(pid)
    figures.append((label, rss, fds))
    print(f"  {label:<44} RSS {rss:8.1f} MiB   fds {fds:6d}", flush=True)
    return rss, fds


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE   # the server's own ephemeral self-signed certificate
    return ctx


def fresh_client(port, ctx, payload=b"ping " * 20):
    """Handshake + one echo round trip on a new connection; returns seconds taken (inf on failure)."""
    start = time.monotonic()
    try:
        with socket.create_connection((HOST, port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(payload)
                got = b""
                while len(got) < len(payload):
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                if got != payload:
                    return float("inf")
    except (OSError, ssl.SSLError):
        return float("inf")
    return time.monotonic() - start


def partial_client_hello():
    """A record header and handshake header announcing a 512-byte ClientHello, and only its first 40 bytes."""
    body = b"\x01" + (508).to_bytes(3, "big") + b"\x03\x03" + os.urandom(32) + b"\x00\x00"
    return b"\x16\x03\x01" + (512).to_bytes(2, "big") + body[:40]


def wait_writable(sock, seconds):
    """poll(), not select(): these fds are above FD_SETSIZE."""
    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    return bool(poller.poll(seconds * 1000))


def rst_close(sock):
    """Close with RST (SO_LINGER 0): the client is killed, not closed politely."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def open_stalled(port, count):
    socks = []
    for _ in range(count):
        s = socket.create_connection((HOST, port), timeout=5)
        s.sendall(partial_client_hello())
        socks.append(s)
    return socks


def open_slow_readers(port, ctx, count, push_bytes, threads=8):
    """Handshakes `count` clients, each then pushes up to push_bytes without reading anything back, until the
    server stops taking more (the send would block). Returns (tls sockets, bytes the server took in total)."""
    result, lock, taken = [], threading.Lock(), [0]
    chunk = b"x" * 16384
    todo = list(range(count))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            try:
                raw = socket.create_connection((HOST, port), timeout=10)
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # a reader that takes little
                tls = ctx.wrap_socket(raw, server_hostname="localhost")
                tls.setblocking(False)
                sent = 0
                while sent < push_bytes:
                    try:
                        sent += tls.send(chunk[: min(len(chunk), push_bytes - sent)])
                    except (ssl.SSLWantWriteError, BlockingIOError):
                        if not wait_writable(tls, 0.2):
                            break   # the server took no more for 200 ms: it is not reading
                with lock:
                    result.append(tls)
                    taken[0] += sent
            except (OSError, ssl.SSLError) as error:
                print(f"  slow reader failed: {error}", file=sys.stderr)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return result, taken[0]


def backpressure_probe(port, ctx, pid, limit=64 << 20, stall=2.0):
    """One reader that never reads pushes up to `limit` bytes; how much does the server take in?"""
    raw = socket.create_connection((HOST, port), timeout=10)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    tls = ctx.wrap_socket(raw, server_hostname="localhost")
    tls.setblocking(False)
    before = rss_kib(pid)
    sent, chunk, deadline = 0, b"y" * 16384, time.monotonic() + 30
    while sent < limit and time.monotonic() < deadline:
        try:
            sent += tls.send(chunk)
        except (ssl.SSLWantWriteError, BlockingIOError):
            if not wait_writable(tls, stall):
                break
    grown = (rss_kib(pid) - before) / 1024
    rst_close(tls)
    return sent, grown


def churn(port, ctx, stop, counters):
    """Kills clients mid-handshake and mid-record until `stop` is set."""
    while not stop.is_set():
        try:
            # Mid-handshake: part of a ClientHello, then RST.
            s = socket.create_connection((HOST, port), timeout=5)
            s.sendall(partial_client_hello())
            rst_close(s)
            counters["mid-handshake"] += 1
            # Mid-record: a complete handshake, then half of an application-data record, then RST.
            raw = socket.create_connection((HOST, port), timeout=5)
            tls = ctx.wrap_socket(raw, server_hostname="localhost")
            tls.sendall(b"z" * 1000)
            # A record header announcing 4000 bytes and 10 of them, written under the TLS layer.
            socket.socket.send(tls, b"\x17\x03\x03\x0f\xa0" + os.urandom(10))
            rst_close(tls)
            counters["mid-record"] += 1
        except (OSError, ssl.SSLError):
            counters["errors"] += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=".build/debug/tlskit")
    parser.add_argument("--stalled", type=int, default=1000)
    parser.add_argument("--slow", type=int, default=1000)
    parser.add_argument("--push-kib", type=int, default=256, help="what each slow reader tries to send")
    parser.add_argument("--duration", type=int, default=60, help="phase B length, seconds")
    parser.add_argument("--max-rss-growth-mb", type=float, default=400.0)
    parser.add_argument("--fd-slack", type=int, default=8)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.stalled + args.slow + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, 4096)), hard))
    print(f"ulimit -n: {soft} soft / {hard} hard -> {resource.getrlimit(resource.RLIMIT_NOFILE)[0]} (inherited by the server)")

    server = subprocess.Popen([args.server, "serve", "--port", "0", "--mode", "echo"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    for line in server.stdout:
        if line.startswith("listening on https://"):
            port = int(line.split(":")[2].split()[0])
        if line.strip() == "ready":
            break
    if port is None:
        print("the server did not start", file=sys.stderr)
        return 2
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()   # drain its log
    pid, ctx, failures, figures = server.pid, client_context(), [], []
    print(f"server pid {pid} on {HOST}:{port}")

    def check_fresh(label):
        latency = fresh_client(port, ctx)
        print(f"  fresh client handshake+echo {label}: {latency * 1000:.0f} ms", flush=True)
        if latency >= 1.0:
            failures.append(f"fresh client {label}: {latency:.2f} s (bound 1 s)")
        return latency

    try:
        for _ in range(3):
            fresh_client(port, ctx)   # warm up
        time.sleep(0.5)
        print("phase A: stalled handshakes and slow readers")
        base_rss, base_fds = snapshot(pid, "A before", figures)

        t0 = time.monotonic()
        slow, taken = open_slow_readers(port, ctx, args.slow, args.push_kib * 1024)
        print(f"  {len(slow)} slow readers up after {time.monotonic() - t0:.1f} s; the server took {taken / 1048576:.1f} MiB "
              f"from them ({taken / max(1, len(slow)) / 1024:.0f} KiB each of {args.push_kib} KiB offered; it echoes "
              f"into sockets nobody reads)")
        snapshot(pid, f"A {len(slow)} slow readers", figures)
        t0 = time.monotonic()
        stalled = open_stalled(port, args.stalled)
        opened = time.monotonic()
        print(f"  {len(stalled)} stalled handshakes opened in {opened - t0:.1f} s")
        time.sleep(1)
        peak_rss, _ = snapshot(pid, f"A during: + {len(stalled)} stalled", figures)
        latencies = [check_fresh("during phase A")]

        # What the handshake timeout (10 s in tlskit serve) did to the stalled handshakes: 12 s after the last one.
        time.sleep(max(0.0, 12 - (time.monotonic() - opened)))
        closed = 0
        for s in stalled:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed += 1
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        print(f"  {time.monotonic() - opened:.0f} s after the last: {closed} of {len(stalled)} stalled handshakes closed by the server")
        _, fds_after_timeout = snapshot(pid, "A after the handshake timeout", figures)
        latencies.append(check_fresh("with slow readers only"))

        sent, grown = backpressure_probe(port, ctx, pid)
        print(f"  backpressure probe: one reader that never reads got {sent / 1048576:.1f} MiB accepted; "
              f"server RSS +{grown:.1f} MiB")

        for s in stalled:
            s.close()
        for s in slow:
            rst_close(s)
        time.sleep(3)
        after_rss, after_fds = snapshot(pid, "A after all clients went", figures)
        peak_rss = max(peak_rss, rss_kib(pid) / 1024)
        if peak_rss - base_rss > args.max_rss_growth_mb:
            failures.append(f"phase A RSS grew {peak_rss - base_rss:.0f} MiB (bound {args.max_rss_growth_mb:.0f})")
        if after_fds > base_fds + args.fd_slack:
            failures.append(f"phase A fd leak: {base_fds} before, {after_fds} after")

        print(f"phase B: {args.duration} s of clients killed mid-handshake and mid-record")
        b_rss, b_fds = snapshot(pid, "B before", figures)
        stop, counters = threading.Event(), {"mid-handshake": 0, "mid-record": 0, "errors": 0}
        workers = [threading.Thread(target=churn, args=(port, ctx, stop, counters)) for _ in range(4)]
        for w in workers:
            w.start()
        b_peak, start = b_rss, time.monotonic()
        while time.monotonic() - start < args.duration:
            time.sleep(min(10, args.duration - (time.monotonic() - start)))
            rss, _ = snapshot(pid, f"B at {time.monotonic() - start:.0f} s ({counters['mid-handshake']} + "
                                   f"{counters['mid-record']} killed)", figures)
            b_peak = max(b_peak, rss)
            latencies.append(check_fresh("during phase B"))
        stop.set()
        for w in workers:
            w.join()
        time.sleep(3)
        _, b_after_fds = snapshot(pid, "B after", figures)
        print(f"  killed {counters['mid-handshake']} mid-handshake, {counters['mid-record']} mid-record "
              f"({counters['errors']} client-side errors)")
        if b_peak - b_rss > args.max_rss_growth_mb:
            failures.append(f"phase B RSS grew {b_peak - b_rss:.0f} MiB (bound {args.max_rss_growth_mb:.0f})")
        if b_after_fds > b_fds + args.fd_slack:
            failures.append(f"phase B fd leak: {b_fds} before, {b_after_fds} after")
        print(f"fresh client latency: max {max(latencies) * 1000:.0f} ms over {len(latencies)} probes")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("OK: every bound held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
