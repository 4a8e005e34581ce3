#!/usr/bin/env python3
"""glassbench link emulator: a point-to-point link between the host and one of a run's network namespaces,
with netem-like impairment applied in user space, for kernels built without sch_netem.

It opens two TUN devices (the host end in the caller's namespace, the peer end inside the namespace) and
moves every IP packet from one to the other, in each direction through its own impairment: random loss,
bursty loss (Gilbert-Elliott: a bad state in which every packet is lost), a rate limit (serialisation at
rateKbps with a 500 ms queue, tail drop), then delay plus jitter (uniform in +/- jitter; packets keep their
order). Settings arrive as JSON lines on stdin ({"uplink": {...}, "downlink": {...}}) and may change while
it runs; on SIGTERM or end of stdin it prints its counters as one JSON line and exits.

usage: link-emulator.py <netns name> <host tun name> <peer tun name> <seed>
uplink = peer -> host (what the peers in the namespace send), downlink = host -> peer.
"""
import ctypes
import fcntl
import heapq
import json
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
MAX_PACKET = 65536


def open_tun(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open('/var/run/netns/' + name, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), 'setns into ' + name)
    os.close(fd)


class Direction:
    def __init__(self, name, rng):
        self.name = name
        self.rng = rng
        self.settings = {}
        self.bad = False
        self.busy_until = 0.0
        self.last_release = 0.0
        self.counts = {'packets': 0, 'dropped': 0, 'droppedQueue': 0, 'bytes': 0}

    def configure(self, settings):
        self.settings = settings or {}

    def admit(self, now, size):
        """The time the packet leaves the link, or None when it is lost."""
        s = self.settings
        self.counts['packets'] += 1
        loss = s.get('lossPct', 0.0) / 100.0
        burst = s.get('burstLossPackets', 0.0)
        if burst and burst > 1 and loss > 0:
            # Gilbert-Elliott: mean bad run `burst` packets, long-run loss `loss`
            leave_bad = 1.0 / burst
            enter_bad = min(1.0, loss * leave_bad / max(1e-9, 1.0 - loss))
            if self.bad:
                if self.rng.random() < leave_bad:
                    self.bad = False
            elif self.rng.random() < enter_bad:
                self.bad = True
            if self.bad:
                self.counts['dropped'] += 1
                return None
        elif loss > 0 and self.rng.random() < loss:
            self.counts['dropped'] += 1
            return None
        at = now
        rate = s.get('rateKbps', 0)
        if rate and rate > 0:
            start = max(now, self.busy_until)
            if start - now > 0.5:
                self.counts['droppedQueue'] += 1
                return None
            self.busy_until = start + (size * 8.0) / (rate * 1000.0)
            at = self.busy_until
        delay = s.get('delayMs', 0.0) / 1000.0
        jitter = s.get('jitterMs', 0.0) / 1000.0
        if jitter > 0:
            delay = max(0.0, delay + self.rng.uniform(-jitter, jitter))
        at = max(at + delay, self.last_release)
        self.last_release = at
        self.counts['bytes'] += size
        return at


def main():
    netns, host_name, peer_name, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    host_fd = open_tun(host_name)
    enter_netns(netns)
    peer_fd = open_tun(peer_name)
    rng = random.Random(seed)
    up = Direction('uplink', rng)
    down = Direction('downlink', rng)
    queue = []
    seq = 0
    stop = {'now': False}

    def on_term(signum, frame):
        stop['now'] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdin = sys.stdin.fileno()
    os.set_blocking(stdin, False)
    pending = b''
    sys.stdout.write(json.dumps({'ready': True}) + '\n')
    sys.stdout.flush()
    watch = [host_fd, peer_fd, stdin]
    while not stop['now']:
        now = time.monotonic()
        timeout = max(0.0, queue[0][0] - now) if queue else 0.25
        try:
            readable, _, _ = select.select(watch, [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for fd in readable:
            if fd == stdin:
                try:
                    chunk = os.read(stdin, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    stop['now'] = True
                    watch = [host_fd, peer_fd]
                    break
                pending += chunk
                while b'\n' in pending:
                    line, pending = pending.split(b'\n', 1)
                    if line.strip():
                        settings = json.loads(line)
                        up.configure(settings.get('uplink'))
                        down.configure(settings.get('downlink'))
                continue
            direction, out = (up, host_fd) if fd == peer_fd else (down, peer_fd)
            for _ in range(64):
                try:
                    packet = os.read(fd, MAX_PACKET)
                except BlockingIOError:
                    break
                at = direction.admit(now, len(packet))
                if at is None:
                    continue
                if at <= now and not queue:
                    try:
                        os.write(out, packet)
                    except OSError:
                        pass
                    continue
                seq += 1
                heapq.heappush(queue, (at, seq, out, packet))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, packet = heapq.heappop(queue)
            try:
                os.write(out, packet)
            except OSError:
                pass
    sys.stdout.write(json.dumps({'uplink': up.counts, 'downlink': down.counts}) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
