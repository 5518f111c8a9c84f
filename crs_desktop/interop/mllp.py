"""MLLP framing (HL7 v2 over TCP): <VT> message <FS><CR>.

A frame is read with a deadline once it has begun (a sender that stops mid-frame is
dropped, not waited on for ever) and a size limit; bytes between frames are skipped and
counted; a new <VT> inside a frame starts the frame again (the sender began anew).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

START = b"\x0b"
END = b"\x1c"
END_CR = b"\x1c\x0d"
_CHUNK = 1 << 16
# Between frames a sender may keep the line quiet for hours (engines hold connections).
# What it sends there that is not a frame is dropped, keeping at most this much memory.
_NOISE_KEPT = 1 << 16


def frame(message: bytes) -> bytes:
    return START + message + END_CR


class FrameTimeout(Exception):
    """A frame begun and not finished within the read timeout."""


class FrameTooLarge(Exception):
    """A frame longer than the size limit; `head` is its beginning (to answer it)."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        super().__init__("frame too large")


@dataclass
class FrameReader:
    """Frames from one connection, one at a time."""

    reader: asyncio.StreamReader
    timeout: float
    max_bytes: int
    skipped: int = 0  # bytes outside frames, so far
    restarted: int = 0  # frames abandoned by a new <VT>
    _buffer: bytearray | None = None

    async def next_frame(self) -> bytes | None:
        """The next message (without its framing); None when the sender closed the line
        between frames. FrameTimeout / FrameTooLarge / ConnectionError otherwise."""
        buffer = self._buffer if self._buffer is not None else bytearray()
        self._buffer = buffer
        while True:
            start = buffer.find(START)
            if start < 0:
                self._skip(buffer, len(buffer))
                if not await self._fill(buffer, within_frame=False):
                    return None
                continue
            self._skip(buffer, start)
            searched = 1
            while True:
                end = buffer.find(END, searched)
                again = buffer.find(START, searched, end if end >= 0 else len(buffer))
                if again > 0:  # the sender began a new frame: the old one is dropped
                    self.restarted += 1
                    del buffer[:again]
                    searched = 1
                    continue
                if end - 1 > self.max_bytes:
                    head = bytes(buffer[1:4097])
                    del buffer[: end + 1]
                    raise FrameTooLarge(head)
                if end >= 0:
                    message = bytes(buffer[1:end])
                    del buffer[: end + 1]
                    if buffer[:1] == b"\r":
                        del buffer[:1]
                    return message
                if len(buffer) - 1 > self.max_bytes:
                    head = bytes(buffer[1:4097])
                    buffer.clear()
                    raise FrameTooLarge(head)
                searched = len(buffer)
                if not await self._fill(buffer, within_frame=True):
                    raise ConnectionResetError("the sender closed the line mid-frame")

    def _skip(self, buffer: bytearray, count: int) -> None:
        if count:
            # A <CR> or <LF> after a frame's end is the sender's habit, not noise.
            self.skipped += len(bytes(buffer[:count]).strip(b"\r\n"))
            del buffer[:count]

    async def _fill(self, buffer: bytearray, within_frame: bool) -> bool:
        if within_frame:
            try:
                chunk = await asyncio.wait_for(self.reader.read(_CHUNK), self.timeout)
            except TimeoutError:
                raise FrameTimeout() from None
        else:
            chunk = await self.reader.read(_CHUNK)
        if not chunk:
            return False
        buffer += chunk
        if not within_frame and START not in chunk and len(buffer) > _NOISE_KEPT:
            self._skip(buffer, len(buffer))
        return True
