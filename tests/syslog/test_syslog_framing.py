"""RFC 6587 framing of TCP streams: octet counting, LF framing, oversized and broken frames."""

from __future__ import annotations

from collectors.syslog.framing import StreamFramer


def data(frames: list) -> list[bytes]:
    return [frame.data for frame in frames]


def test_octet_counted_frames_split_anywhere_in_the_stream() -> None:
    framer = StreamFramer(1024)
    stream = b"11 <13>1 - a b14 <13>1 - hello\n"
    out = []
    for i in range(len(stream)):  # one byte at a time: frames survive any TCP segmentation
        out += framer.feed(stream[i : i + 1])
    assert data(out) == [b"<13>1 - a b", b"<13>1 - hello\n"], "an octet-counted frame may hold an LF"


def test_lf_and_nul_framing_and_mixed_methods() -> None:
    framer = StreamFramer(1024)
    assert data(framer.feed(b"<13>one\n<13>two\x005 <13>x<13>thr")) == [b"<13>one", b"<13>two", b"<13>x"]
    assert data(framer.feed(b"ee\r\n")) == [b"<13>three\r"]


def test_a_line_longer_than_the_limit_is_cut_counted_and_the_stream_stays_in_step() -> None:
    framer = StreamFramer(1000)
    frames = framer.feed(b"<13>" + b"x" * 70_000 + b"\n<13>next\n")
    assert [len(f.data) for f in frames] == [1000, 8] and [f.truncated for f in frames] == [True, False]
    assert framer.truncated == 1


def test_an_oversized_octet_count_is_cut_and_its_rest_skipped() -> None:
    framer = StreamFramer(1000)
    body = b"<13>" + b"y" * 5000
    frames = framer.feed(b"%d " % len(body) + body + b"4 <13>")
    assert [len(f.data) for f in frames] == [1000, 4] and frames[0].truncated


def test_a_message_without_final_lf_is_delivered_at_end_of_stream() -> None:
    framer = StreamFramer(100)
    assert framer.feed(b"<13>last") == []
    assert data(framer.flush()) == [b"<13>last"]


def test_digits_that_are_not_a_length_are_a_plain_message() -> None:
    framer = StreamFramer(100)
    assert data(framer.feed(b"1,2019/09/25 10:33:41,0079,CONFIG\n")) == [b"1,2019/09/25 10:33:41,0079,CONFIG"]
