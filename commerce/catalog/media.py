"""Staff's product images: uploading one, deleting one, ordering them, and making their renditions.

Files go through Django's default storage (local files under MEDIA_ROOT, or a bucket: project/settings.py), under
names no one can guess or reuse: `products/<product>/<random>.<ext>` for the original, and
`products/<product>/<random>/<size>.<ext>` for its renditions. An upload is checked whole (commerce.catalog.images)
before anything is stored, so a refused one leaves no file and no row; a stored one is announced on commit
(`image_stored`), and a job makes its renditions. A row that goes, however it goes (this module, the admin, its
product deleted), takes its files with it once the deletion commits.
"""
import uuid

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete
from django.dispatch import Signal, receiver

from commerce.errors import NotFound
from commerce.events import announce

from . import images
from .models import Product, ProductImage
from .services import CatalogError

image_stored = Signal()  # image_id: an upload was stored; its renditions are to be made

ALT_MAX_LENGTH = ProductImage._meta.get_field("alt").max_length


def upload_image(product_id: int, file, alt: str = "", *, field=("file",)) -> ProductImage:
    """Store `file` as the product's last image, or refuse it with a coded error having stored nothing: not a file
    (INVALID), over MEDIA_UPLOAD_MAX_BYTES (FILE_TOO_LARGE), not an image we take or a broken one (IMAGE_INVALID),
    over MEDIA_MAX_PIXELS (IMAGE_TOO_LARGE), or a product that has MEDIA_MAX_IMAGES_PER_PRODUCT (TOO_MANY_IMAGES).

    The file is checked before the product is locked (decoding a large image takes a while); the count is checked
    under the lock, so two uploads at once cannot pass the limit together.
    """
    field = list(field)
    if not isinstance(file, File):  # the Upload scalar takes any value: a string sent as JSON is no file
        raise CatalogError("Send the image as a file, in a multipart request.", field=field)
    alt = (alt or "").strip()
    if len(alt) > ALT_MAX_LENGTH:
        raise CatalogError(f"The alt text is at most {ALT_MAX_LENGTH} characters.", field=["alt"])
    checked = images.check(file, field=field)
    with transaction.atomic():
        product = _locked_product(product_id)
        taken = product.images.aggregate(count=Count("pk"), last=Max("position"))
        if taken["count"] >= settings.MEDIA_MAX_IMAGES_PER_PRODUCT:
            raise CatalogError(f"A product has at most {settings.MEDIA_MAX_IMAGES_PER_PRODUCT} images.",
                               code="TOO_MANY_IMAGES", field=["productId"])
        name = default_storage.save(f"products/{product.pk}/{uuid.uuid4().hex}.{checked.extension}", file)
        try:
            image = ProductImage.objects.create(
                product=product, file=name, width=checked.width, height=checked.height, alt=alt,
                position=0 if taken["last"] is None else taken["last"] + 1)
        except BaseException:
            default_storage.delete(name)
            raise
        announce(image_stored, image_id=image.pk)
    return image


@transaction.atomic
def delete_image(image_id: int) -> Product:
    """Delete an image (its files go once this commits); returns its product."""
    product_id = ProductImage.objects.filter(pk=image_id).values_list("product_id", flat=True).first()
    if product_id is None:
        raise NotFound("No such image.", field=["imageId"])
    product = _locked_product(product_id, field=["imageId"])
    # Locked before the deletion reads it, so a rendition job finishing now either recorded its files before
    # (and they are deleted with the row) or finds the row gone (and deletes them itself).
    gone = ProductImage.objects.select_for_update().filter(pk=image_id)
    list(gone)
    gone.delete()
    return product


@transaction.atomic
def reorder_images(product_id: int, image_ids: list[int]) -> Product:
    """Put the product's images in the order of `image_ids`, which lists each of them exactly once."""
    product = _locked_product(product_id)
    current = set(product.images.values_list("pk", flat=True))
    if len(image_ids) != len(set(image_ids)) or set(image_ids) != current:
        raise CatalogError("List each of the product's images exactly once.", field=["imageIds"])
    ProductImage.objects.bulk_update([ProductImage(pk=pk, position=i) for i, pk in enumerate(image_ids)],
                                     ["position"])
    return product


def make_renditions(image_id: int) -> None:
    """Make and store the renditions of an uploaded image (commerce.catalog.images.render), once.

    Safe to run twice or late: an image that already has them, that is gone, or that goes while they are made
    keeps nothing of this run (the files it stored are deleted again).
    """
    image = ProductImage.objects.filter(pk=image_id).exclude(file="").first()
    if image is None or image.renditions:
        return
    storage = image.file.storage
    try:
        with storage.open(image.file.name, "rb") as original:
            made = images.render(original)
    except FileNotFoundError:
        if not ProductImage.objects.filter(pk=image_id).exists():
            return  # deleted meanwhile, its original with it
        raise
    folder = image.file.name.rsplit(".", 1)[0]
    stored = []
    try:
        for rendition in made:
            name = storage.save(f"{folder}/{rendition.size}.{rendition.extension}", ContentFile(rendition.content))
            stored.append({"size": rendition.size, "format": rendition.format, "name": name,
                           "width": rendition.width, "height": rendition.height})
        recorded = ProductImage.objects.filter(pk=image_id, renditions=[]).update(renditions=stored)
    except BaseException:
        _delete_files(storage, [r["name"] for r in stored])
        raise
    if not recorded:
        _delete_files(storage, [r["name"] for r in stored])


def _locked_product(product_id: int, *, field: list[str] | None = None) -> Product:
    """The product, locked as every write of its parts locks it; NOT_FOUND on `field` when it does not exist."""
    product = Product.objects.select_for_update(no_key=True).filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.", field=field or ["productId"])
    return product


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


@receiver(post_delete, sender=ProductImage)
def _delete_image_files(sender, instance: ProductImage, **kwargs) -> None:
    """An image's files go with its row, once the deletion commits (a rolled-back deletion keeps them)."""
    if instance.file:
        names = [instance.file.name, *(r["name"] for r in instance.renditions)]
        storage = instance.file.storage
        transaction.on_commit(lambda: _delete_files(storage, names))
