"""A deterministic test relay: forwards each client datagram to an upstream echo responder and
the upstream's replies back to the client, changing the replies by a fixed pattern of reply
indexes (0, 1, 2, ... in the order replies come from upstream), so a test knows exactly what
udp-send must count.

    python3 pattern_relay.py --upstream 127.0.0.1:9007 --pattern drop@5,swap@10,flip@20

prints `listening on 127.0.0.1:PORT` first (port 0: the kernel picks one), then serves one
client (the latest address that sent) until it is killed. Operations, each `OP@INDEXES` where
INDEXES is `N`, `A-B` (inclusive) or `A-` (from A on):

    drop        the reply is not sent
    swap        the reply is held and sent after the next one (or after 200 ms if none comes)
    flip        the reply's byte at offset 8 (the first after a probe's header) is inverted
    dup         the reply is sent twice
    lengthen    five bytes are appended to the reply
    foreign     the reply is sent from another socket (another port): not from the target
    delay:MS    the reply is sent MS milliseconds later (e.g. delay:1500@5)

With --log, one line per reply on stdout after the first: `INDEX OP` (`INDEX pass` when the
pattern leaves it alone), so a test can wait until the relay has seen a given reply.
"""
import argparse
import heapq
import selectors
import socket
import sys
import time

SWAP_HOLD_S = 0.2
OPS = {"drop", "swap", "flip", "dup", "lengthen", "foreign", "delay"}


def parse_pattern(text):
    """'drop@5,delay:900@7-9,flip@20-' -> (dict index -> (op, arg), [(from, op, arg)])."""
    fixed, open_ended = {}, []
    for item in filter(None, (part.strip() for part in text.split(","))):
        op, _, where = item.partition("@")
        name, _, arg = op.partition(":")
        if name not in OPS or not where or (name == "delay") != bool(arg):
            raise ValueError(f"bad pattern item {item!r}: expected OP@N, OP@A-B or OP@A- "
                             f"with OP one of {', '.join(sorted(OPS))} (delay:MS)")
        value = float(arg) / 1000.0 if arg else None
        first, dash, last = where.partition("-")
        if dash and not last:
            open_ended.append((int(first), name, value))
            continue
        for index in range(int(first), int(last if dash else first) + 1):
            if index in fixed:
                raise ValueError(f"reply {index} has two operations")
            fixed[index] = (name, value)
    return fixed, open_ended


def operation(pattern, index):
    fixed, open_ended = pattern
    if index in fixed:
        return fixed[index]
    for first, name, value in open_ended:
        if index >= first:
            return name, value
    return "pass", None


def endpoint(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the echo responder")
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (default 127.0.0.1:0)")
    parser.add_argument("--pattern", default="", help="e.g. drop@5,swap@10,flip@20")
    parser.add_argument("--log", action="store_true", help="print INDEX OP per reply")
    args = parser.parse_args()
    try:
        pattern = parse_pattern(args.pattern)
    except ValueError as e:
        print(f"pattern_relay: {e}", file=sys.stderr)
        return 2

    listen_host, listen_port = endpoint(args.listen)
    family = socket.AF_INET6 if ":" in listen_host else socket.AF_INET
    front = socket.socket(family, socket.SOCK_DGRAM)
    front.bind((listen_host, listen_port))
    other = socket.socket(family, socket.SOCK_DGRAM)  # for `foreign` replies
    other.bind((listen_host, 0))
    up_host, up_port = endpoint(args.upstream)
    upstream = socket.socket(socket.AF_INET6 if ":" in up_host else socket.AF_INET,
                             socket.SOCK_DGRAM)
    upstream.connect((up_host, up_port))
    for s in (front, upstream):
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    host, port = front.getsockname()[:2]
    print(f"listening on {f'[{host}]' if family == socket.AF_INET6 else host}:{port}", flush=True)

    client = None
    index = 0
    held = None  # (deadline, bytes) of a swapped reply waiting for the next one
    later = []  # heap of (when, sequence, bytes) for delayed replies
    sequence = 0
    selector = selectors.DefaultSelector()
    selector.register(front, selectors.EVENT_READ, "front")
    selector.register(upstream, selectors.EVENT_READ, "upstream")

    def to_client(data, sock=front):
        if client is not None:
            sock.sendto(data, client)

    while True:
        now = time.monotonic()
        deadlines = [d for d in ((held[0] if held else None), (later[0][0] if later else None))
                     if d is not None]
        timeout = max(0.0, min(deadlines) - now) if deadlines else None
        for key, _ in selector.select(timeout):
            while True:
                try:
                    data, source = key.fileobj.recvfrom(70000)
                except BlockingIOError:
                    break
                if key.data == "front":
                    client = source
                    upstream.send(data)
                    continue
                op, value = operation(pattern, index)
                if args.log:
                    print(f"{index} {op}", flush=True)
                index += 1
                # A held (swapped) reply goes out right after this one, below.
                if op == "drop":
                    pass
                elif op == "swap":
                    if held is not None:
                        to_client(held[1])
                    held = (time.monotonic() + SWAP_HOLD_S, data)
                    continue
                elif op == "flip":
                    at = min(8, len(data) - 1)
                    data = data[:at] + bytes([data[at] ^ 0xff]) + data[at + 1:] if data else data
                    to_client(data)
                elif op == "dup":
                    to_client(data)
                    to_client(data)
                elif op == "lengthen":
                    to_client(data + b"\x00\x01\x02\x03\x04")
                elif op == "foreign":
                    to_client(data, other)
                elif op == "delay":
                    heapq.heappush(later, (time.monotonic() + value, sequence, data))
                    sequence += 1
                else:
                    to_client(data)
                if held is not None:
                    to_client(held[1])
                    held = None
        now = time.monotonic()
        if held is not None and now >= held[0]:
            to_client(held[1])
            held = None
        while later and later[0][0] <= now:
            to_client(heapq.heappop(later)[2])


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
