"""test_images.py - tiny images written by hand, for the integration tests' requests.

Imported by the Python snippets of the *.sh tests (not a test itself)."""
import base64
import json
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


def chat_body(max_tokens):
    """A chat/completions body: a 40x30 PNG (gpt-4o: 85 + 170 = 255 image tokens), 21 bytes
    of text (6 tokens) and one message (7): 268 prompt tokens, plus max_tokens against a
    token limit."""
    url = "data:image/png;base64," + base64.b64encode(png(40, 30)).decode()
    return json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Describe this product"},
        {"type": "image_url", "image_url": {"url": url}}]}], "max_tokens": max_tokens})
