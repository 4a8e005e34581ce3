#!/usr/bin/env python3
"""An external AI worker for glassbench's reference SFU, on PyTorch: decoded I420 pictures in, filtered out.

    python3 examples/workers/torch_worker.py SOCKET [--max-batch N] [--batch-wait-ms MS] [--default FILTER]

It listens on the Unix socket SOCKET, prints `ready SOCKET` once it does, and exits (removing the socket) on
SIGTERM or SIGINT. The protocol is the one of src/protocol/worker-protocol.ts. Every message, both ways:

    u32 big-endian L    bytes that follow
    u16 big-endian H    bytes of the header
    H bytes             header, UTF-8 JSON object
    L - 2 - H bytes     payload

A call's header is {"id", "f", "stage", "format", "width", "height", "model", "modelMs", "gpu"?}; with
`format: i420` its payload is a planar I420 picture (width*height luma bytes, then U and V planes of
ceil(width/2) x ceil(height/2)). The answer is {"id", "ok": true, "ms", "batch", "waitMs"} with the processed
picture as payload, same layout and size, or {"id", "ok": false, "error"} without one. Answers may come in any
order: the SFU matches them by id. The SFU puts the marker strip (the top stripHeight + 1 luma rows) back itself.

Calls that wait are batched: those sharing device, size and filter run as one N x 1 x H x W tensor through one
model call, up to --max-batch. With --batch-wait-ms W a call reaching an idle worker waits up to W ms for others
(less when the batch fills), as an inference server's queue delay does. The model runs in a thread, so sockets
keep being read while it computes: what arrives meanwhile forms the next batch.
"""
import argparse
import asyncio
import concurrent.futures
import json
import os
import signal
import struct
import sys
import time

import torch
from torch import nn

MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # as the TypeScript reader: a 4K I420 picture is 12 MB
MAX_HEADER_BYTES = 64 * 1024
MAX_SIDE = 16384
FILTERS = ("blur", "edges", "noise", "copy")
NOISE_AMPLITUDE = 24
MARKER_COLUMNS, MARKER_ROWS = 40, 2  # src/media/marker.ts
CALL_RULES = ("a call is {id: u32, stage, format: 'i420', width, height: 1-%d} with a payload of "
              "width*height + 2*ceil(width/2)*ceil(height/2) bytes" % MAX_SIDE)


def strip_height(width):
    """The marker strip's height, px (markerLayout of src/media/marker.ts)."""
    block_width = width // MARKER_COLUMNS
    return max(8, min(16, block_width)) * MARKER_ROWS


def i420_bytes(width, height):
    return width * height + 2 * ((width + 1) // 2) * ((height + 1) // 2)


class LumaFilters(nn.Module):
    """The filters of src/media/luma-filter.ts as fixed-weight 3x3 convolutions, in float32: every value is an
    integer below 2^24, so the sums are exact and the integer rounding after them matches luma-filter's."""

    def __init__(self):
        super().__init__()
        self.box = nn.Conv2d(1, 1, 3, bias=False)
        self.sobel = nn.Conv2d(1, 2, 3, bias=False)
        with torch.no_grad():
            self.box.weight.fill_(1.0)
            gx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
            self.sobel.weight.copy_(torch.stack([gx, gx.t()]).unsqueeze(1))
        self.requires_grad_(False)

    def forward(self, luma, name):
        """luma: N x 1 x H x W uint8 rows to filter with one row of context above and below; returns the
        N x 1 x (H-2) x (W-2) filtered interior, uint8."""
        x = luma.float()
        if name == "blur":
            total = self.box(x).round().to(torch.int32)
            return torch.div(total * 7282, 65536, rounding_mode="floor").to(torch.uint8)  # (sum * 7282) >> 16
        if name == "edges":
            g = self.sobel(x).abs().sum(dim=1, keepdim=True).round().to(torch.int32)
            return torch.div(g, 2, rounding_mode="floor").clamp(max=255).to(torch.uint8)
        inner = luma[:, :, 1:-1, 1:-1]
        if name == "noise":
            noise = torch.randint(-NOISE_AMPLITUDE, NOISE_AMPLITUDE + 1, inner.shape, device=luma.device)
            return (inner.to(torch.int16) + noise).clamp(0, 255).to(torch.uint8)
        return inner.clone()  # copy


class Worker:
    def __init__(self, max_batch, batch_wait_ms, default_filter):
        self.max_batch, self.batch_wait_s, self.default_filter = max_batch, batch_wait_ms / 1000, default_filter
        self.waiting = []  # (transport, header, payload, read_at) in arrival order
        self.running = False
        self.batch_full = None  # a future the batch wait ends on early, once max_batch calls wait
        self.models = {}
        self.compute = concurrent.futures.ThreadPoolExecutor(max_workers=1)  # one batch at a time

    def device_for(self, header):
        if not torch.cuda.is_available():
            return "cpu"
        gpu = header.get("gpu")
        if isinstance(gpu, int) and not isinstance(gpu, bool) and 0 <= gpu < torch.cuda.device_count():
            return f"cuda:{gpu}"
        return "cuda:0"

    def receive(self, transport, header, payload):
        """One whole message from a connection: refuse it at once, or queue it for a batch."""
        call_id = header.get("id")
        if not (isinstance(call_id, int) and not isinstance(call_id, bool) and 0 <= call_id < 2**32):
            return self.answer(transport, {"id": 0, "ok": False, "error": "not a call: " + CALL_RULES})
        if header.get("format") == "vp8":
            return self.answer(transport, {"id": call_id, "ok": False, "error":
                               "this worker takes format i420 (decoded pictures), not vp8: " + CALL_RULES})
        w, h = header.get("width"), header.get("height")
        sizes_ok = all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_SIDE for v in (w, h))
        if (not isinstance(header.get("stage"), str) or header.get("format") != "i420" or not sizes_ok
                or len(payload) != i420_bytes(w, h)):
            return self.answer(transport, {"id": call_id, "ok": False, "error": CALL_RULES})
        self.waiting.append((transport, header, payload, time.perf_counter()))
        if len(self.waiting) >= self.max_batch and self.batch_full and not self.batch_full.done():
            self.batch_full.set_result(None)
        if not self.running:
            self.running = True
            asyncio.get_running_loop().create_task(self.run_batches())

    def filter_of(self, header):
        model = header.get("model")
        name = model.get("filter") if isinstance(model, dict) else None
        return name if name in FILTERS else self.default_filter

    def key(self, header):
        return (self.device_for(header), header["width"], header["height"], self.filter_of(header))

    async def run_batches(self):
        if self.batch_wait_s > 0 and len(self.waiting) < self.max_batch:
            # the worker was idle: give other calls up to batch_wait_s to join this one
            self.batch_full = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self.batch_full, self.batch_wait_s)
            except asyncio.TimeoutError:
                pass
            self.batch_full = None
        while self.waiting:
            # the oldest call, and those after it that can share its tensor (same device, size and filter)
            first_key = self.key(self.waiting[0][1])
            batch, rest = [], []
            for item in self.waiting:
                alive = not item[0].is_closing()
                if alive and len(batch) < self.max_batch and self.key(item[1]) == first_key:
                    batch.append(item)
                elif alive:
                    rest.append(item)
            self.waiting = rest
            if not batch:
                continue
            started = time.perf_counter()
            outputs, ms = await asyncio.get_running_loop().run_in_executor(
                self.compute, self.run_model, first_key, [payload for _, _, payload, _ in batch])
            for (transport, header, payload, read_at), luma in zip(batch, outputs):
                answer = {"id": header["id"], "ok": True, "ms": ms, "batch": len(batch),
                          "waitMs": (started - read_at) * 1000}
                self.answer(transport, answer, luma, memoryview(payload)[len(luma):])  # chroma as it came
        self.running = False

    def run_model(self, key, payloads):
        """Runs in the compute thread: one model call for the batch; returns each picture's new luma."""
        device, w, h, name = key
        started = time.perf_counter()
        if device not in self.models:
            self.models[device] = LumaFilters().to(device)
        pictures = torch.stack([torch.frombuffer(p, dtype=torch.uint8, count=w * h).view(h, w) for p in payloads])
        luma = pictures.unsqueeze(1).to(device)  # N x 1 x H x W
        out = luma.clone()
        top = strip_height(w) + 1  # the first row filtered (rows above it: the marker strip, copied)
        if top < h - 1 and w >= 3:
            with torch.no_grad():
                # rows top-1 .. h-1 in, rows top .. h-2 out; the first and last columns stay copied
                out[:, :, top:h - 1, 1:w - 1] = self.models[device](luma[:, :, top - 1:, :], name)
        out = out.cpu()  # waits for the device
        ms = (time.perf_counter() - started) * 1000
        return [out[i].numpy().tobytes() for i in range(len(payloads))], ms

    @staticmethod
    def answer(transport, header, *payload):
        if transport.is_closing():
            return
        head = json.dumps(header).encode()
        length = 2 + len(head) + sum(len(p) for p in payload)
        transport.writelines([struct.pack(">IH", length, len(head)), head, *payload])


class Connection(asyncio.Protocol):
    """One SFU worker's socket: splits its byte stream into messages. Bytes are untrusted: a length over the
    limits or a header that is not a JSON object closes this connection, and only it."""

    def __init__(self, worker):
        self.worker, self.buffer, self.transport = worker, bytearray(), None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        while len(self.buffer) >= 6:
            length, header_length = struct.unpack_from(">IH", self.buffer)
            if length > MAX_MESSAGE_BYTES or header_length > length - 2 or header_length > MAX_HEADER_BYTES:
                return self.transport.abort()
            if len(self.buffer) < 4 + length:
                return  # a message half-received waits for the rest; it is in no batch until whole
            try:
                header = json.loads(self.buffer[6:6 + header_length].decode("utf-8"))
            except ValueError:
                return self.transport.abort()
            if not isinstance(header, dict):
                return self.transport.abort()
            payload = self.buffer[6 + header_length:4 + length]  # a copy (torch.frombuffer wants it writable)
            del self.buffer[:4 + length]
            self.worker.receive(self.transport, header, payload)


async def serve(args):
    if torch.cuda.is_available():
        where = f"cuda (devices 0-{torch.cuda.device_count() - 1}; the call's gpu, else cuda:0)"
        torch.backends.cudnn.allow_tf32 = False  # keep the convolutions in full float32
    else:
        where = "cpu (no CUDA device)"
    print(f"torch_worker: torch {torch.__version__}, running on {where}", file=sys.stderr, flush=True)
    worker = Worker(args.max_batch, args.batch_wait_ms, args.default)
    loop = asyncio.get_running_loop()
    stopping = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stopping.done() or stopping.set_result(None))
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    server = await loop.create_unix_server(lambda: Connection(worker), args.socket)
    print(f"ready {args.socket}", flush=True)
    await stopping
    server.close()
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    worker.compute.shutdown(wait=False, cancel_futures=True)


def main():
    parser = argparse.ArgumentParser(prog="torch_worker.py", description="glassbench external worker (PyTorch)")
    parser.add_argument("socket", help="Unix socket path to listen on")
    parser.add_argument("--max-batch", type=int, default=8, help="most calls in one batch (>= 1)")
    parser.add_argument("--batch-wait-ms", type=float, default=0.0, help="how long an idle worker waits for more")
    parser.add_argument("--default", choices=FILTERS, default="blur", help="the filter for other models")
    args = parser.parse_args()
    if args.max_batch < 1 or not 0 <= args.batch_wait_ms <= 60_000:
        parser.error("--max-batch must be >= 1 and --batch-wait-ms 0-60000")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
