"""Pictures as Pillow sees them: what an upload is by its content, and the renditions made of it.

Nothing here touches the database or the storage; commerce.catalog.media stores what these return.

An upload is judged by its bytes, never by its name or the Content-Type the client sent: Pillow opens it with
only the JPEG, PNG, WebP and GIF readers (so an SVG, an HTML page or a PostScript file, whose reader would run
Ghostscript, is not an image here), its width and height are read from the header and checked against
MEDIA_MAX_PIXELS before a pixel is decoded (Pillow itself refuses only above about 179 MP and merely warns from
89 MP, and a 100 KB PNG can claim 20,000 x 20,000), and only then is it verified and decoded whole, which finds
a truncated or corrupt file.
"""
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from PIL import ExifTags, Image, ImageCms, ImageOps

from .services import CatalogError

FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# The longer side of each rendition, as storefronts ask for them (thumbnails to zoom); only those below the
# original's own are made, plus one at the original's size when that is not over the largest.
RENDITION_SIZES = (64, 128, 256, 512, 1024, 2048)
# Each rendition in both: WebP for browsers (all current ones), JPEG for whatever cannot show WebP (e-mail).
RENDITION_FORMATS = {
    "webp": ("WEBP", "webp", {"quality": 82, "method": 4}),
    "jpeg": ("JPEG", "jpg", {"quality": 85, "optimize": True, "progressive": True}),
}
TURNED = {5, 6, 7, 8}  # EXIF orientations that swap width and height


@dataclass(frozen=True)
class Checked:
    """An upload that is an image we take: its format, and its size as shown (after its EXIF orientation)."""

    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def check(file, *, field: list[str]) -> Checked:
    """What `file` (a file object, at any position) is, or the CatalogError that refuses it."""
    if file.size > settings.MEDIA_UPLOAD_MAX_BYTES:
        raise CatalogError(f"The file is over the limit of {settings.MEDIA_UPLOAD_MAX_BYTES} bytes.",
                           code="FILE_TOO_LARGE", field=field)
    not_an_image = CatalogError("The file is not a JPEG, PNG, WebP or GIF image, or it is damaged.",
                                code="IMAGE_INVALID", field=field)
    too_large = CatalogError(f"The image is over the limit of {settings.MEDIA_MAX_PIXELS} pixels.",
                             code="IMAGE_TOO_LARGE", field=field)
    try:
        file.seek(0)
        with Image.open(file, formats=FORMATS) as image:
            format, (width, height) = image.format, image.size
            if width * height > settings.MEDIA_MAX_PIXELS:
                raise too_large
            image.verify()  # the file's structure (PNG's checksums), without decoding
        file.seek(0)
        with Image.open(file, formats=FORMATS) as image:
            turned = image.getexif().get(ExifTags.Base.Orientation) in TURNED
            image.load()  # every pixel: a truncated or corrupt file fails here
    except CatalogError:
        raise
    except Image.DecompressionBombError:  # over twice Pillow's own limit: refused by Image.open itself
        raise too_large from None
    except Exception:  # not one of FORMATS (UnidentifiedImageError), or broken: OSError, SyntaxError, struct.error...
        raise not_an_image from None
    finally:
        file.seek(0)
    return Checked(format, *((height, width) if turned else (width, height)))


@dataclass(frozen=True)
class Rendition:
    size: int  # the longer side, px
    format: str  # a key of RENDITION_FORMATS
    extension: str
    width: int
    height: int
    content: bytes


def rendition_sizes(longer_side: int) -> list[int]:
    """Every fixed size below the original's, and the original's own unless it is over the largest."""
    sizes = [size for size in RENDITION_SIZES if size < longer_side]
    return sizes + ([longer_side] if longer_side <= RENDITION_SIZES[-1] else [])


def render(file) -> list[Rendition]:
    """The renditions of an original: turned upright by its EXIF orientation, in sRGB, each size in each format,
    with no metadata (no EXIF, no GPS position, no colour profile, no comments). An animated GIF gives its first
    frame."""
    with Image.open(file, formats=FORMATS) as original:
        picture = _in_srgb(ImageOps.exif_transpose(original))
    made = []
    for size in sorted(rendition_sizes(max(picture.size)), reverse=True):  # each from the last: fewer pixels to read
        picture.thumbnail((size, size), Image.Resampling.LANCZOS)
        for format, (pillow_format, extension, options) in RENDITION_FORMATS.items():
            made.append(Rendition(size, format, extension, *picture.size, _encoded(picture, pillow_format, options)))
    return sorted(made, key=lambda r: (r.size, r.format))


def _in_srgb(picture: Image.Image) -> Image.Image:
    """RGB (RGBA where it has transparency), converted from its ICC profile when it has one, so that dropping the
    profile from the renditions keeps their colours."""
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if picture.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float greyscale: scale to 8 bits first
        picture = picture.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    profile = picture.info.get("icc_profile")
    if profile and picture.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            picture = ImageCms.profileToProfile(
                picture, ImageCms.ImageCmsProfile(BytesIO(profile)), ImageCms.createProfile("sRGB"),
                outputMode="RGB" if picture.mode in ("CMYK", "L") else picture.mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: its pixels as they are
    return picture.convert("RGBA" if has_alpha else "RGB")


def _encoded(picture: Image.Image, pillow_format: str, options: dict) -> bytes:
    if pillow_format == "JPEG" and picture.mode != "RGB":  # no transparency in JPEG: on white
        background = Image.new("RGB", picture.size, "white")
        background.paste(picture, mask=picture.getchannel("A") if "A" in picture.mode else None)
        picture = background
    picture.info = {}  # no EXIF, XMP, ICC profile or comment is written from here
    buffer = BytesIO()
    picture.save(buffer, pillow_format, **options)
    return buffer.getvalue()
