"""test_images.py - tiny images written by hand, for the integration tests' requests.

Imported by the Python snippets of the *.sh tests (not a test itself)."""
import struct
import zlib


def png(w, h):
    """A valid w x h RGB PNG whose pixels depend on their position."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    rows = b"".join(b"\x00" + b"".join(bytes(((x * 7 + y) & 0xff, y & 0xff, 128))
                                       for x in range(w)) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
