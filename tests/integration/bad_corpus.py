#!/usr/bin/env python3
"""bad_corpus.py DIR SEED_JPG SEED_PNG - writes the bad-input corpus of bad_inputs.sh.

Everything is made at test time from two good sample images (vb-sample-images) with
python3 and the libvips CLI, so the repository holds no binary fixtures. Writes into DIR:
  files/        the bad files (and a few good-but-odd ones)
  list.txt      a .txt manifest naming each file (raw bytes: non-UTF-8 names too)
  items.jsonl   a .jsonl manifest with the manifest-level errors
  expect.json   {"errors": {id: kind}, "ok": [id, ...], "convert": {id: mime}}
ids are what visionbatch reports: a .txt entry's id is its line as written."""
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import zlib

out, seed_jpg, seed_png = sys.argv[1], sys.argv[2], sys.argv[3]
files = os.path.join(out, "files")
os.makedirs(files)
rng = random.Random(8)
jpg = open(seed_jpg, "rb").read()
png = open(seed_png, "rb").read()
errors, ok, convert = {}, [], {}
lines = []  # bytes, one per .txt manifest line


def put(name, data):
    with open(os.path.join(files, name) if isinstance(name, str) else os.path.join(files.encode(), name), "wb") as f:
        f.write(data)


def entry(name, kind=None, good=False, conv=None):
    """Adds files/NAME to list.txt and what its result must be."""
    raw = ("files/" + name).encode() if isinstance(name, str) else b"files/" + name
    lines.append(raw)
    ident = raw.decode("utf-8", "replace")
    if kind:
        errors[ident] = kind
    if good:
        ok.append(ident)
    if conv:
        convert[ident] = conv


def vips(*args):
    subprocess.run(["vips", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with(width, height, idat):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def jpeg_sof_size(data, width, height):
    """data with its SOF0/SOF2 frame header declaring width x height."""
    b = bytearray(data)
    i = 2
    while i < len(b):
        marker, seglen = b[i + 1], struct.unpack(">H", b[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            b[i + 5:i + 9] = struct.pack(">HH", height, width)
            return bytes(b)
        i += 2 + seglen
    raise SystemExit("no SOF in the seed JPEG")


def gif(width, height, frames):
    b = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    if frames > 1:
        b += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for _ in range(frames):
        b += b"\x21\xf9\x04\x00\x0a\x00\x00\x00\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        b += b"\x02\x02\x44\x01\x00"
    return b + b"\x3b"


def with_orientation(data, orientation):
    """A JPEG with an EXIF APP1 segment saying orientation (right after SOI)."""
    tiff = b"MM\0\x2a\0\0\0\x08\0\x01" + b"\x01\x12\0\x03\0\0\0\x01" + struct.pack(">H", orientation) + b"\0\0\0\0\0\0"
    app1 = b"Exif\0\0" + tiff
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:]


def scan_start(data):
    """Offset of the first byte of entropy-coded data (after SOS)."""
    i = 2
    while i < len(data):
        marker, seglen = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker == 0xDA:
            return i + 2 + seglen
        i += 2 + seglen
    raise SystemExit("no SOS")


# ---- content: empty, truncated, corrupt, not an image -------------------------------
put("zero.jpg", b""); entry("zero.jpg", "empty_file")
put("trunc.jpg", jpg[: len(jpg) // 2]); entry("trunc.jpg", "corrupt_image")
put("trunc.png", png[: len(png) // 2]); entry("trunc.png", "corrupt_image")
vips("copy", seed_png, os.path.join(files, "seed.webp"))
webp = open(os.path.join(files, "seed.webp"), "rb").read()
os.unlink(os.path.join(files, "seed.webp"))
put("trunc.webp", webp[: len(webp) // 2]); entry("trunc.webp", "corrupt_image")
put("trunc.gif", gif(1, 1, 1)[:-8]); entry("trunc.gif", "corrupt_image")
s = scan_start(jpg)  # garbage in the middle of the scan, markers kept intact
bad = bytearray(jpg)
for k in range(s + 40, min(len(bad) - 4, s + 400)):
    bad[k] = rng.randrange(0, 0xFF)
put("scan-garbage.jpg", bytes(bad)); entry("scan-garbage.jpg", "corrupt_image")
put("idat-garbage.png", png_with(64, 64, b"\x78\x9c" + bytes(rng.randrange(256) for _ in range(200))))
entry("idat-garbage.png", "corrupt_image")
put("zero-width.png", png_with(0, 10, zlib.compress(b"")))
entry("zero-width.png", "corrupt_image")
put("text.jpg", b"just some text, not a picture\n" * 10); entry("text.jpg", "not_an_image")
put("page.jpg", b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>\n")
entry("page.jpg", "not_an_image")
put("noise.png", bytes(rng.randrange(256) for _ in range(4096))); entry("noise.png", "not_an_image")

# ---- formats the APIs do not take ----------------------------------------------------
for ext in ("tif", "heic", "avif"):
    vips("copy", seed_jpg, os.path.join(files, "photo." + ext))
    entry("photo." + ext, "unsupported_format", conv="image/png" if ext == "tif" else "image/jpeg")
w, h = 8, 4  # a BMP by hand: 24-bit, bottom-up
row = bytes([0, 0, 255] * w)
pixels = row * h
put("photo.bmp", b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
    + struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0) + pixels)
entry("photo.bmp", "unsupported_format", conv="image/png")
for ext in ("jxl", "jp2"):
    vips("copy", seed_jpg, os.path.join(files, "photo." + ext))
    entry("photo." + ext, "unsupported_format")
put("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10"/></svg>\n')
entry("drawing.png", "unsupported_format")
put("anim.gif", gif(1, 1, 3)); entry("anim.gif", "animated_image", conv="image/png")

# ---- size: oversize file, decompression bombs ----------------------------------------
put("huge.jpg", jpg + b"\0" * 2_100_000); entry("huge.jpg", "too_large")  # --max-image-bytes 2000000
put("bomb.png", png_with(20000, 20000, zlib.compress(b"\0" * 1000))); entry("bomb.png", "too_many_pixels")
put("bomb-wide.png", png_with(40000, 1, zlib.compress(b"\0" * 100))); entry("bomb-wide.png", "too_many_pixels")
put("bomb.jpg", jpeg_sof_size(jpg, 65000, 65000)); entry("bomb.jpg", "too_many_pixels")

# ---- the file system ---------------------------------------------------------------
put("noperm.jpg", jpg); os.chmod(os.path.join(files, "noperm.jpg"), 0); entry("noperm.jpg", "permission_denied")
os.symlink("gone.jpg", os.path.join(files, "dangling.jpg")); entry("dangling.jpg", "dangling_link")
os.symlink("loop-b.jpg", os.path.join(files, "loop-a.jpg"))
os.symlink("loop-a.jpg", os.path.join(files, "loop-b.jpg")); entry("loop-a.jpg", "link_loop")
os.mkfifo(os.path.join(files, "fifo.jpg")); entry("fifo.jpg", "not_a_file")
os.symlink("/dev/zero", os.path.join(files, "device.jpg")); entry("device.jpg", "not_a_file")
os.mkdir(os.path.join(files, "folder.jpg")); entry("folder.jpg", "not_a_file")
sock = socket.socket(socket.AF_UNIX); sock.bind(os.path.join(files, "socket.jpg")); entry("socket.jpg", "not_a_file")
entry("missing.jpg", "not_found")
entry("zero.jpg/inside.jpg", "not_found")
put(b"\xff\xfe-latin1-caf\xe9.jpg", b"text again"); entry(b"\xff\xfe-latin1-caf\xe9.jpg", "not_an_image")

# ---- good, if odd: each must be sent (and converted where needed) --------------------
put("png-named.jpg", png); entry("png-named.jpg", good=True)
put("jpeg-named.png", jpg); entry("jpeg-named.png", good=True)
put("still.gif", gif(1, 1, 1)); entry("still.gif", good=True)
vips("icc_export", seed_jpg, os.path.join(files, "cmyk.jpg"), "--output-profile", "cmyk"); entry("cmyk.jpg", good=True)
vips("linear", seed_png, os.path.join(out, "lin.v"), "257", "0")
vips("cast", os.path.join(out, "lin.v"), os.path.join(out, "c16.v"), "ushort")
vips("copy", os.path.join(out, "c16.v"), os.path.join(files, "deep16.png"), "--interpretation", "rgb16")
entry("deep16.png", good=True)
put("rotated.jpg", with_orientation(jpg, 6)); entry("rotated.jpg", good=True)
put(b"good-\xe9t\xe9.jpg", jpg[:-2] + b"\0\xff\xd9"); entry(b"good-\xe9t\xe9.jpg", good=True)

# ---- manifest lines ------------------------------------------------------------------
lines.append(b"file:///etc/passwd"); errors["file:///etc/passwd"] = "unsupported_url"
lines.append(b"ftp://example.com/a.jpg"); errors["ftp://example.com/a.jpg"] = "unsupported_url"
lines.append(b"files/png-named.jpg"); errors[f"list.txt:{len(lines)}"] = "duplicate_id"
with open(os.path.join(out, "list.txt"), "wb") as f:
    f.write(b"\n".join(lines) + b"\n")

shutil.copy(seed_jpg, os.path.join(files, "manifest-good.jpg"))
jl = [
    json.dumps({"image": "files/manifest-good.jpg", "id": "sku-1"}),
    '{"image": "files/manifest-good.jpg", "id": ',          # broken JSON
    json.dumps({"id": "no-image"}),                          # no "image"
    json.dumps({"image": "files/manifest-good.jpg", "id": "sku-1"}),  # duplicate id
    json.dumps({"image": "x.jpg", "id": "a" * (1024 * 1024 + 10)}),  # longer than 1 MiB
    '{"image": "files/x.jpg", "id": "bad-utf8-\xff"}',      # not UTF-8 (written as latin-1)
    json.dumps({"image": 12, "id": "number"}),               # image not a string
]
with open(os.path.join(out, "items.jsonl"), "wb") as f:
    for line in jl:
        f.write(line.encode("latin-1") if "\xff" in line else line.encode())
        f.write(b"\n")
ok.append("sku-1")
for n in (2, 3, 5, 6, 7):
    errors[f"items.jsonl:{n}"] = "bad_manifest_line"
errors["items.jsonl:4"] = "duplicate_id"

json.dump({"errors": errors, "ok": ok, "convert": convert}, open(os.path.join(out, "expect.json"), "w"))
print(f"{len(errors)} bad inputs, {len(ok)} odd-but-good ones")
