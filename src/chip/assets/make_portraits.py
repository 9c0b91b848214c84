#!/usr/bin/env python3
"""Draws the two synthetic portraits of the software chip (no real person).

Run once with Debian's Pillow (`apt-get install python3-pil`):
    /usr/bin/python3 src/chip/assets/make_portraits.py
It writes portrait_cccd.jpg (480x640, male) and portrait_td3.jpg (240x320,
female) next to itself; the chip embeds them with include_bytes!.
"""
import os
from PIL import Image, ImageDraw, ImageFilter

HERE = os.path.dirname(os.path.abspath(__file__))


def portrait(width, height, skin, hair, shirt, long_hair, quality, name):
    s = width / 480.0
    img = Image.new("RGB", (width, height))
    d = ImageDraw.Draw(img)
    # light blue-grey background with a soft vertical gradient (ICAO: plain, light)
    for y in range(height):
        c = int(232 - 18 * y / height)
        d.line([(0, y), (width, y)], fill=(c - 6, c, c + 8))

    def box(x0, y0, x1, y1):
        return [x0 * s, y0 * s, x1 * s, y1 * s]

    # shoulders and shirt
    d.ellipse(box(40, 520, 440, 820), fill=shirt)
    d.polygon([(200 * s, 530 * s), (240 * s, 600 * s), (280 * s, 530 * s)], fill=(245, 245, 245))
    # neck
    d.rectangle(box(200, 430, 280, 545), fill=tuple(max(0, v - 18) for v in skin))
    # hair behind the head
    if long_hair:
        d.rounded_rectangle(box(120, 130, 360, 560), radius=90 * s, fill=hair)
    d.ellipse(box(135, 110, 345, 360), fill=hair)
    # ears, face
    d.ellipse(box(128, 270, 162, 340), fill=skin)
    d.ellipse(box(318, 270, 352, 340), fill=skin)
    d.ellipse(box(150, 150, 330, 470), fill=skin)
    # fringe
    d.chord(box(145, 120, 335, 300), start=180, end=360, fill=hair)
    # eyebrows, eyes, pupils
    for cx in (205, 275):
        d.line([((cx - 24) * s, 262 * s), ((cx + 24) * s, 258 * s)], fill=(60, 45, 35), width=max(1, int(6 * s)))
        d.ellipse(box(cx - 20, 280, cx + 20, 300), fill=(250, 250, 250))
        d.ellipse(box(cx - 8, 282, cx + 8, 298), fill=(50, 35, 25))
    # nose and mouth
    d.line([(240 * s, 300 * s), (232 * s, 360 * s), (248 * s, 364 * s)], fill=tuple(max(0, v - 45) for v in skin),
           width=max(1, int(4 * s)))
    d.arc(box(212, 385, 268, 415), start=10, end=170, fill=(150, 70, 70), width=max(1, int(5 * s)))
    img = img.filter(ImageFilter.GaussianBlur(radius=1.2 * s))
    path = os.path.join(HERE, name)
    img.save(path, "JPEG", quality=quality, optimize=True)
    print(name, os.path.getsize(path), "bytes", img.size)


portrait(480, 640, (226, 190, 160), (25, 22, 20), (40, 60, 110), False, 80, "portrait_cccd.jpg")
portrait(240, 320, (236, 204, 180), (120, 80, 40), (120, 40, 60), True, 85, "portrait_td3.jpg")
