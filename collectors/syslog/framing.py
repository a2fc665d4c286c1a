"""Cutting a TCP or TLS byte stream into syslog messages (RFC 6587, RFC 5425).

Each frame is either octet-counted (`MSG-LEN SP MSG`, RFC 6587 3.4.1 and RFC 5425 4.3) or ends
with LF (non-transparent framing, RFC 6587 3.4.2; a NUL ends one too, as some senders use it).
The method is decided per frame by its first byte, as rsyslog does, so a sender may mix them.
A message longer than `max_bytes` is cut there (`truncated`), the rest of it skipped, and the
stream stays in step; nothing grows without bound.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LENGTH_DIGITS = 9


@dataclass(frozen=True, slots=True)
class Frame:
    data: bytes
    truncated: bool = False


class StreamFramer:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._skip = 0  # bytes of an oversized octet-counted frame still to throw away
        self._skip_to_lf = False  # an oversized LF frame: throw away up to its LF
        self.frames = 0
        self.truncated = 0
        self.framing_errors = 0

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        buffer = self._buffer
        buffer += data
        if not self._skip and not self._skip_to_lf:
            taken = self._whole_octet_counted(buffer, frames)
            if taken:
                del buffer[:taken]  # once per read, not once per frame
        while buffer:
            if self._skip:
                dropped = min(self._skip, len(buffer))
                del buffer[:dropped]
                self._skip -= dropped
                continue
            if self._skip_to_lf:
                end = _end_of_line(buffer)
                if end < 0:
                    buffer.clear()
                    break
                del buffer[: end + 1]
                self._skip_to_lf = False
                continue
            first = buffer[0]
            if first in b"\r\n\x00 ":
                del buffer[:1]  # stray separators between frames
                continue
            if 0x31 <= first <= 0x39:  # 1-9: octet counting
                space = buffer.find(b" ", 0, MAX_LENGTH_DIGITS + 1)
                if space < 0:
                    if len(buffer) > MAX_LENGTH_DIGITS or not buffer.isdigit():
                        frame = self._lf_frame(buffer)  # digits then text: an LF-framed message
                        if frame is None:
                            break
                        frames.append(frame)
                        continue
                    break  # the length is still arriving
                digits = bytes(buffer[:space])
                if not digits.isdigit():
                    frame = self._lf_frame(buffer)
                    if frame is None:
                        break
                    frames.append(frame)
                    continue
                length = int(digits)
                start = space + 1
                if length > self.max_bytes:
                    if len(buffer) - start < self.max_bytes:
                        break  # wait for the part we keep
                    frames.append(self._count(Frame(bytes(buffer[start : start + self.max_bytes]), True)))
                    self._skip = length - self.max_bytes
                    del buffer[: start + self.max_bytes]
                    continue
                if len(buffer) - start < length:
                    break
                frames.append(self._count(Frame(bytes(buffer[start : start + length]))))
                del buffer[: start + length]
                continue
            frame = self._lf_frame(buffer)
            if frame is None:
                break
            frames.append(frame)
        return frames

    def _whole_octet_counted(self, buffer: bytearray, frames: list[Frame]) -> int:
        """The common case, read by offset: the complete, well-formed octet-counted frames at the
        start of the buffer; returns the bytes they took. Anything else is left to `feed`."""
        pos, end, max_bytes, found = 0, len(buffer), self.max_bytes, len(frames)
        while pos < end and 0x31 <= buffer[pos] <= 0x39:
            space = buffer.find(b" ", pos, pos + MAX_LENGTH_DIGITS + 1)
            if space < 0:
                break
            digits = buffer[pos:space]
            if not digits.isdigit():
                break
            length, start = int(digits), space + 1
            if length > max_bytes or end - start < length:
                break
            frames.append(Frame(bytes(buffer[start : start + length])))
            pos = start + length
        self.frames += len(frames) - found
        return pos

    def _lf_frame(self, buffer: bytearray) -> Frame | None:
        end = _end_of_line(buffer)
        if end < 0:
            if len(buffer) >= self.max_bytes:
                frame = self._count(Frame(bytes(buffer[: self.max_bytes]), True))
                del buffer[:]
                self._skip_to_lf = True
                return frame
            return None
        if end > self.max_bytes:
            frame = self._count(Frame(bytes(buffer[: self.max_bytes]), True))
        else:
            frame = self._count(Frame(bytes(buffer[:end])))
        del buffer[: end + 1]
        return frame

    def _count(self, frame: Frame) -> Frame:
        self.frames += 1
        if frame.truncated:
            self.truncated += 1
        return frame

    def flush(self) -> list[Frame]:
        """At the end of the stream: what is left is the last message (a sender may omit the LF)."""
        rest = bytes(self._buffer).strip(b"\r\n\x00 ")
        self._buffer.clear()
        if not rest or self._skip or self._skip_to_lf:
            return []
        return [self._count(Frame(rest[: self.max_bytes], len(rest) > self.max_bytes))]


def _end_of_line(buffer: bytearray) -> int:
    lf = buffer.find(b"\n")
    nul = buffer.find(b"\x00")
    if lf < 0:
        return nul
    if nul < 0:
        return lf
    return min(lf, nul)
