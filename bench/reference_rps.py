"""Non-streamed chat completions per second that ``oaic serve`` answers on loopback.

Starts ``oaic serve`` on a free port, checks one answer with httpx and warms it up, then runs several client
processes (each one keep-alive connection sending requests back to back) for a fixed time and prints the rate.

    python bench/reference_rps.py [--seconds 5] [--clients 4]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time

import httpx

REQUEST = {"model": "ref-chat", "messages": [{"role": "user", "content": "Describe a quiet river."}],
           "max_tokens": 16}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base_url: str, server: subprocess.Popen, deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if server.poll() is not None:
            sys.exit(f"oaic serve exited with {server.returncode}")
        try:
            if httpx.get(base_url + "/models", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    sys.exit("oaic serve did not answer in time")


def request_bytes(port: int) -> bytes:
    body = json.dumps(REQUEST).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n")
    return head.encode() + body


def read_response(sock: socket.socket, pending: bytes) -> tuple[int, bytes]:
    """(status, bytes already read past this response) of one content-length framed response."""
    while b"\r\n\r\n" not in pending:
        pending += sock.recv(65536) or _closed()
    head, _, rest = pending.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        rest += sock.recv(65536) or _closed()
    return int(lines[0].split()[1]), rest[length:]


def _closed() -> bytes:
    raise ConnectionError("the server closed the connection")


def client_loop(port: int, start: float, seconds: float, counts: multiprocessing.Queue[tuple[int, int]]) -> None:
    """One keep-alive connection, requests back to back. A bare socket client: httpx itself would need more CPU
    per request than the server, and the clients share the machine with it."""
    done = failed = 0
    payload = request_bytes(port)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        while time.time() < start:
            time.sleep(0.001)
        stop, pending = start + seconds, b""
        while time.time() < stop:
            sock.sendall(payload)
            status, pending = read_response(sock, pending)
            if status == 200:
                done += 1
            else:
                failed += 1
    counts.put((done, failed))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    oaic = os.path.join(os.path.dirname(sys.executable), "oaic")
    command = [oaic] if os.path.exists(oaic) else [sys.executable, "-m", "oaic.cli"]
    server = subprocess.Popen([*command, "serve", "--port", str(port)], stderr=subprocess.DEVNULL)
    try:
        wait_ready(base_url, server)
        with httpx.Client(base_url=base_url) as warm:
            answer = warm.post("/chat/completions", json=REQUEST).json()
            assert answer["object"] == "chat.completion", answer
            for _ in range(200):
                warm.post("/chat/completions", json=REQUEST)
        counts: multiprocessing.Queue = multiprocessing.Queue()
        start = time.time() + 1.0  # every client starts at once, after its own setup
        workers = [multiprocessing.Process(target=client_loop, args=(port, start, args.seconds, counts))
                   for _ in range(args.clients)]
        for worker in workers:
            worker.start()
        results = [counts.get() for _ in workers]
        for worker in workers:
            worker.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    print(f"{done / args.seconds:.0f} non-stream chat completions/s on loopback "
          f"({done} in {args.seconds:g}s, {args.clients} clients, {failed} failed, {os.cpu_count()} CPUs)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
