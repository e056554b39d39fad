"""Product images: their renditions are made by a worker, not by the request that uploaded them."""
from django.dispatch import receiver

from commerce.catalog import media
from tasks.jobs import job


@job(time_limit=5 * 60_000)  # a 40 MP original, twelve encodings
def make_image_renditions(image_id: int) -> None:
    media.make_renditions(image_id)


@receiver(media.image_stored)
def _image_stored(sender, image_id: int, **kwargs) -> None:
    make_image_renditions.send(image_id)
