#!/usr/bin/env python3
"""Check a chromium screenshot of `keten report --format html` (PNG, standard
library only): the page is not blank, its first chart has bars in the bar
colour, and nothing reaches the right edge (content wider than the page).
Usage: report_png_check.py SHOT.png"""
import struct
import sys
import zlib

BAR = (0x1F, 0x5F, 0xA8)


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                sys.exit("unexpected PNG format depth=%d type=%d" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main():
    width, height, bpp, rows = read_png(sys.argv[1])
    ink = bar = edge = 0
    for y, line in enumerate(rows):
        for x in range(width):
            px = tuple(line[x * bpp:x * bpp + 3])
            if px != (255, 255, 255):
                ink += 1
                if x >= width - 12:
                    edge += 1
            if all(abs(px[k] - BAR[k]) <= 6 for k in range(3)):
                bar += 1
    total = width * height
    print("png %dx%d ink=%d bar=%d edge=%d" % (width, height, ink, bar, edge))
    if ink < total // 200:
        sys.exit("the page is blank")
    if bar < 300:
        sys.exit("no chart bars in the bar colour")
    if edge:
        sys.exit("content reaches the right edge: wider than the page")


main()
