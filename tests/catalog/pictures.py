"""Real image files for the upload tests, made with Pillow (and, for a lying header, by hand)."""
import struct
import zlib
from io import BytesIO

from PIL import Image

ORIENTATION, GPS_INFO = 0x0112, 0x8825
RED, BLUE = (220, 20, 20), (20, 20, 220)


def png(width: int = 600, height: int = 400) -> bytes:
    """An RGBA PNG, half transparent."""
    image = Image.new("RGBA", (width, height), (0, 160, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, width // 2, height))
    return _saved(image, "PNG")


def jpeg_shot_sideways(width: int = 800, height: int = 600, **save) -> bytes:
    """A photo as a camera held sideways stores it: `width` x `height` pixels, left half red, right half blue,
    with EXIF orientation 6 (turn 90 degrees clockwise to show it, so it shows `height` x `width`, red on top) and
    a GPS position that must not reach a rendition."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_INFO).update({1: "N", 2: (52.0, 31.0, 12.0)})
    return _saved(image, "JPEG", exif=exif.tobytes(), quality=95, **save)


def webp() -> bytes:
    return _saved(Image.new("RGB", (300, 200), BLUE), "WEBP")


def gif() -> bytes:
    return _saved(Image.new("P", (120, 80), 3), "GIF")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels: a few hundred bytes that would decode to gigabytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


SVG_WITH_SCRIPT = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                   b'<script>fetch("/graphql/",{method:"POST"})</script><rect width="10" height="10"/></svg>')


def _saved(image: Image.Image, format: str, **options) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()
