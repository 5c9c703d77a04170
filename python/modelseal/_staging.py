"""Staged copies for `load_into`: the tensors that cannot be decrypted straight into their place (a model in
another dtype than the file's, a CUDA model, tied or aliased weights) are decrypted a window at a time into
a reused staging buffer, each window by one `read_extents` call (every chunk opened once, on all cores),
and copied into place with `copy_`, which converts the dtype where the model's differs.

For a CUDA model the staging buffers are pinned host memory, two of them: a window's copies to the device
run on a side stream (`non_blocking`) while the next window is decrypted into the other buffer, and an event
per buffer says when its copies are done and it may be written again. CUDA is untested: there is no GPU on
the machine the tests run on. On the CPU the same code runs with one buffer and synchronous copies, and the
tests cover it there (windowing, offsets, dtype conversion, failures).

Peak host memory of the staging: one buffer of max(WINDOW, the largest staged tensor), two on CUDA. If a
window's decryption fails, the library zeroes the staging buffer before raising, nothing of that window
reached the model, and the windows before it did: the model is then partly loaded and must not be used
(`load_into` says so)."""
from __future__ import annotations

import contextlib

from . import _safetensors

#: Bytes of plaintext decrypted per library call into a staging buffer (a tensor larger than this gets a
#: window, and a buffer, of its own size).
WINDOW = 64 << 20
#: Offset alignment of each tensor in a staging buffer (views of it in any dtype need their element size).
ALIGN = 64


class Stager:
    """Copies tensors of one sealed file into model tensors on `device` through staging buffers; `add` queues
    a tensor, `finish` copies what is queued and waits until every copy is done."""

    def __init__(self, sealed, device) -> None:
        import torch

        self._torch = torch
        self._sealed = sealed
        self._cuda = torch.device(device).type == "cuda"
        self._buffers = [None, None] if self._cuda else [None]
        self._events = [None] * len(self._buffers)
        self._turn = 0
        self._window: list = []  # (entry, target, offset in the staging buffer)
        self._filled = 0
        self.staged_bytes = 0
        self._stream = torch.cuda.Stream(device) if self._cuda else None
        if self._stream is not None:
            # The model's tensors were made (or moved) on the current stream: copies wait for that.
            self._stream.wait_stream(torch.cuda.current_stream(device))

    def add(self, entry: dict, target) -> None:
        """Queues sealed tensor `entry` (a header entry: dtype, shape, begin, end) for `target`, a tensor of
        the same shape (its dtype and device may differ)."""
        length = entry["end"] - entry["begin"]
        offset = -(-self._filled // ALIGN) * ALIGN
        if self._window and offset + length > WINDOW:
            self._flush()
            offset = 0
        self._window.append((entry, target, offset))
        self._filled = offset + length

    def finish(self) -> None:
        """Copies what is queued; returns once every copy has landed (on CUDA, the current stream then also
        waits for the side stream)."""
        if self._window:
            self._flush()
        if self._stream is not None:
            self._stream.synchronize()
            self._torch.cuda.current_stream(self._stream.device).wait_stream(self._stream)

    def _buffer(self, size: int):
        """The staging buffer whose turn it is, at least `size` bytes, once its last copies are done."""
        torch = self._torch
        slot = self._turn
        if self._events[slot] is not None:
            self._events[slot].synchronize()
            self._events[slot] = None
        buffer = self._buffers[slot]
        if buffer is None or buffer.numel() < size:
            self._buffers[slot] = buffer = None
            buffer = torch.empty(max(size, WINDOW), dtype=torch.uint8, pin_memory=self._cuda)
            self._buffers[slot] = buffer
        return slot, buffer

    def _flush(self) -> None:
        torch = self._torch
        window, self._window, size, self._filled = self._window, [], self._filled, 0
        slot, buffer = self._buffer(size)
        base = buffer.data_ptr()
        # Verified decryption of the whole window (zeroed by the library on failure, before this raises).
        self._sealed.read_extents([(entry["begin"], base + offset, entry["end"] - entry["begin"])
                                   for entry, _, offset in window])
        with torch.cuda.stream(self._stream) if self._stream is not None else contextlib.nullcontext():
            with torch.no_grad():
                for entry, target, offset in window:
                    length = entry["end"] - entry["begin"]
                    source = buffer[offset:offset + length].view(_safetensors.torch_dtype(entry["dtype"]))
                    source = source.view(tuple(entry["shape"]))
                    if self._cuda and source.dtype != target.dtype:
                        # To the device as it is, converted there: a cross-device copy_ that also converts
                        # would convert on the host first, into pageable memory, and not overlap.
                        source = source.to(target.device, non_blocking=True)
                    target.copy_(source, non_blocking=self._cuda)
                    self.staged_bytes += length
            if self._stream is not None:
                event = torch.cuda.Event()
                event.record(self._stream)
                self._events[slot] = event
        self._turn = (slot + 1) % len(self._buffers)
