"""Staff's product images: upload (the GraphQL multipart request spec), delete, reorder.

An upload is a multipart POST as Apollo's upload link (apollo-upload-client) sends it: an `operations` field with
the mutation and `"file": null` in its variables, a `map` field pointing a file part at `variables.file`, and the
file part. It must carry an `apollo-require-preflight` header, as every non-JSON POST must (the CSRF rule of
graph.transport.views). Staff only: anyone else gets a top-level FORBIDDEN before the file is looked at.
"""
import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from commerce.catalog import media
from graph.catalog import Image, Product
from graph.catalog_staff import ProductPayload
from graph.core.ids import decode_id
from graph.core.payloads import staff_write


@strawberry.type
class CatalogMediaMutation:
    @strawberry.mutation(description=(
        "Staff. Adds an image (JPEG, PNG, WebP or GIF, judged by its content) as the product's last, sent per the "
        "GraphQL multipart request spec with an `apollo-require-preflight` header. Refused, with nothing stored, "
        "when it is not such an image or is damaged (IMAGE_INVALID), over the byte limit (FILE_TOO_LARGE) or the "
        "pixel limit (IMAGE_TOO_LARGE), or when the product has as many images as it may (TOO_MANY_IMAGES). Its "
        "renditions are made moments later; until then `url` answers the original."))
    def product_media_upload(self, info: Info, product_id: strawberry.ID, file: Upload,
                             alt: str | None = None) -> ProductPayload:
        return staff_write(info, ProductPayload, "product", lambda: media.upload_image(
            decode_id(product_id, Product, argument="productId"), file, alt or "").product)

    @strawberry.mutation(description="Staff. Deletes the image, its file and its renditions.")
    def product_media_delete(self, info: Info, image_id: strawberry.ID) -> ProductPayload:
        return staff_write(info, ProductPayload, "product", lambda: media.delete_image(
            decode_id(image_id, Image, argument="imageId")))

    @strawberry.mutation(description="Staff. Orders the product's images as `imageIds` lists them; it must list each "
                                     "of them exactly once.")
    def product_media_reorder(self, info: Info, product_id: strawberry.ID,
                              image_ids: list[strawberry.ID]) -> ProductPayload:
        return staff_write(info, ProductPayload, "product", lambda: media.reorder_images(
            decode_id(product_id, Product, argument="productId"),
            [decode_id(image_id, Image, argument=f"imageIds.{i}") for i, image_id in enumerate(image_ids)]))
