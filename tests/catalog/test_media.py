"""Staff upload product images; a job makes their renditions; `Image.url(size)` answers the nearest one.

The uploads are real image files (tests/catalog/pictures.py) sent as the GraphQL multipart request spec has them:
through Django's test client here, and over HTTP to daphne with a real worker in the end-to-end test at the bottom.
"""
import json
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from commerce.catalog.models import ProductImage
from graph.core.ids import local_id
from tests.catalog import pictures
from tests.catalog.test_staff_catalog import gid
from tests.payments.e2e import wait_for
from tests.servers import deployed_env, start_daphne, start_worker, stop

UPLOAD = """mutation ($product: ID!, $file: Upload!, $alt: String) {
  productMediaUpload(productId: $product, file: $file, alt: $alt) {
    product { images { id alt width height url small: url(size: 100) } } errors { field code } } }"""
DELETE = """mutation ($id: ID!) { productMediaDelete(imageId: $id) { product { images { id } } errors { field code } } }"""
REORDER = """mutation ($product: ID!, $ids: [ID!]!) { productMediaReorder(productId: $product, imageIds: $ids) {
  product { images { id alt } } errors { field code } } }"""
IMAGES = """query ($id: ID!) { product(id: $id) { images { id width height url tiny: url(size: 64)
  mid: url(size: 300) big: url(size: 5000) jpeg: url(size: 300, format: JPEG) } } }"""
PREFLIGHT = {"HTTP_APOLLO_REQUIRE_PREFLIGHT": "true"}


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """This test's own MEDIA_ROOT, so what it stored (or did not) can be listed."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def mug(make_product, media_root):
    return make_product("Ceramic Mug", images=0)


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def multipart(product, content, *, name: str, alt: str | None = None) -> dict:
    """The form fields of an upload as apollo-upload-client sends it: the operation with `file: null`, the map
    from the file part to that variable, and the file part."""
    operations = {"query": UPLOAD, "variables": {"product": gid(product), "file": None, "alt": alt}}
    return {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile(name, content, "application/octet-stream")}


def upload(gql, product, content: bytes, *, name: str = "photo.jpg", alt: str | None = None, headers=PREFLIGHT):
    response = gql.client.post("/graphql/", multipart(product, content, name=name, alt=alt),
                               **{**gql.headers, **headers})
    return response.status_code, response.json()


def uploaded(gql, product, content: bytes, **kwargs) -> dict:
    status, body = upload(gql, product, content, **kwargs)
    assert status == 200 and "errors" not in body, body
    payload = body["data"]["productMediaUpload"]
    assert payload["errors"] == [], payload
    return payload["product"]


def refused(gql, product, content: bytes, **kwargs) -> list[dict]:
    status, body = upload(gql, product, content, **kwargs)
    assert status == 200 and "errors" not in body, body
    payload = body["data"]["productMediaUpload"]
    assert payload["product"] is None
    return payload["errors"]


def test_an_upload_is_stored_with_its_size_as_shown_and_answers_the_original_until_renditions_exist(
        staff_gql, mug, media_root):
    product = uploaded(staff_gql, mug, pictures.jpeg_shot_sideways(800, 600), alt=" Mug, side ")
    (image,) = product["images"]
    assert (image["alt"], image["width"], image["height"]) == ("Mug, side", 600, 800)  # turned by its EXIF
    (original,) = stored_files(media_root)
    assert original.read_bytes() == pictures.jpeg_shot_sideways(800, 600)  # kept as sent
    assert original.suffix == ".jpg" and original.parent == media_root / "products" / str(mug.pk)
    assert image["url"] == image["small"] == f"http://testserver/media/{original.relative_to(media_root)}"
    assert image["id"] == local_id("Image", ProductImage.objects.get().pk)


@pytest.mark.parametrize(("content", "name", "extension"), [
    (pictures.png(), "x.jpg", ".png"), (pictures.webp(), "x", ".webp"), (pictures.gif(), "x.png", ".gif")])
def test_the_type_is_judged_by_content_not_name(staff_gql, mug, media_root, content, name, extension):
    uploaded(staff_gql, mug, content, name=name)
    assert [path.suffix for path in stored_files(media_root)] == [extension]


def test_renditions_are_made_by_the_job_turned_upright_without_metadata(staff_gql, mug, media_root, jobs):
    uploaded(staff_gql, mug, pictures.jpeg_shot_sideways(800, 600))
    jobs.run()
    (image,) = staff_gql(IMAGES, {"id": gid(mug)}).ok()["product"]["images"]
    made = {(r["size"], r["format"]): r for r in ProductImage.objects.get().renditions}
    assert sorted(made) == [(size, format) for size in (64, 128, 256, 512, 800) for format in ("jpeg", "webp")]
    for (size, format), rendition in made.items():
        with Image.open(media_root / rendition["name"]) as picture:
            assert picture.format == {"jpeg": "JPEG", "webp": "WEBP"}[format]
            assert picture.size == (rendition["width"], rendition["height"])
            assert max(picture.size) == size and picture.height > picture.width  # upright: 600 x 800 shown
            assert not picture.getexif() and not {"exif", "icc_profile", "xmp"} & picture.info.keys()
            top, bottom = picture.convert("RGB").getpixel((picture.width // 2, 2)), \
                picture.convert("RGB").getpixel((picture.width // 2, picture.height - 3))
            assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]  # the red half on top, as shown
    base = "http://testserver/media/"
    assert image["tiny"] == base + made[64, "webp"]["name"]
    assert image["mid"] == base + made[512, "webp"]["name"]  # the nearest at or above 300
    assert image["big"] == image["url"] == base + made[800, "webp"]["name"]  # the largest: the original's size
    assert image["jpeg"] == base + made[512, "jpeg"]["name"]
    jobs.run()  # a second run of the job (a retry) changes nothing
    assert {(r["size"], r["format"]): r for r in ProductImage.objects.get().renditions} == made


def test_a_png_keeps_its_transparency_in_webp_and_gets_white_in_jpeg(staff_gql, mug, media_root, jobs):
    uploaded(staff_gql, mug, pictures.png(600, 400), name="a.png")
    jobs.run()
    made = {(r["size"], r["format"]): r["name"] for r in ProductImage.objects.get().renditions}
    assert sorted({size for size, _ in made}) == [64, 128, 256, 512, 600]
    with Image.open(media_root / made[256, "webp"]) as webp, Image.open(media_root / made[256, "jpeg"]) as jpeg:
        assert webp.size == jpeg.size == (256, 171)
        assert webp.convert("RGBA").getpixel((5, 5))[3] == 0
        assert jpeg.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=3)


@pytest.mark.parametrize(("content", "code"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "IMAGE_INVALID"),  # corrupt
    (pictures.jpeg_shot_sideways(800, 600)[:3000], "IMAGE_INVALID"),  # truncated
    (pictures.png(600, 400)[:600], "IMAGE_INVALID"),  # truncated
    (pictures.SVG_WITH_SCRIPT, "IMAGE_INVALID"),
    (b"<html><script>alert(1)</script></html>", "IMAGE_INVALID"),
    (pictures.png_claiming(20_000, 20_000), "IMAGE_TOO_LARGE"),  # past Pillow's own limit, which it refuses itself
    (pictures.png_claiming(8_000, 8_000), "IMAGE_TOO_LARGE"),  # under it (Pillow would decode 64 MP): ours
])
def test_what_is_not_an_image_we_take_is_refused_and_stores_nothing(staff_gql, mug, media_root, content, code):
    assert refused(staff_gql, mug, content, name="photo.png") == [{"field": ["file"], "code": code}]
    assert not ProductImage.objects.exists() and stored_files(media_root) == []


def test_the_limits_are_settings(staff_gql, mug, media_root, settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 1000
    assert refused(staff_gql, mug, pictures.png()) == [{"field": ["file"], "code": "FILE_TOO_LARGE"}]
    settings.MEDIA_UPLOAD_MAX_BYTES, settings.MEDIA_MAX_PIXELS = 10_000_000, 599 * 400
    assert refused(staff_gql, mug, pictures.png(600, 400)) == [{"field": ["file"], "code": "IMAGE_TOO_LARGE"}]
    settings.MEDIA_MAX_PIXELS, settings.MEDIA_MAX_IMAGES_PER_PRODUCT = 40_000_000, 2
    uploaded(staff_gql, mug, pictures.png())
    uploaded(staff_gql, mug, pictures.webp())
    assert refused(staff_gql, mug, pictures.gif()) == [{"field": ["productId"], "code": "TOO_MANY_IMAGES"}]
    assert ProductImage.objects.count() == 2 and len(stored_files(media_root)) == 2


def test_a_multipart_post_without_a_preflight_header_is_refused_before_anything_runs(staff_gql, mug, media_root):
    status, body = upload(staff_gql, mug, pictures.png(), headers={})
    assert status == 400 and body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert not ProductImage.objects.exists() and stored_files(media_root) == []
    status, body = upload(staff_gql, mug, pictures.png(), headers={"HTTP_X_APOLLO_OPERATION_NAME": "Upload"})
    assert status == 200 and body["data"]["productMediaUpload"]["errors"] == []


def test_only_staff_upload(gql, customer, mug, media_root):
    for client in (gql, gql.login(customer)):
        status, body = upload(client, mug, pictures.png())
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["data"] is None
    assert not ProductImage.objects.exists() and stored_files(media_root) == []


def test_a_file_variable_that_is_no_file_and_malformed_multipart_bodies(staff_gql, mug, media_root):
    response = staff_gql(UPLOAD, {"product": gid(mug), "file": "aGVsbG8="})  # JSON: the Upload scalar takes anything
    assert response.ok()["productMediaUpload"]["errors"] == [{"field": ["file"], "code": "INVALID"}]
    form = multipart(mug, pictures.png(), name="a.png")
    for changed in ({"map": json.dumps({"1": ["variables.file"]})}, {"map": json.dumps({"0": ["variables.nope.x"]})},
                    {"map": json.dumps({"0": "variables.file"})}, {"map": "[1]"}, {"operations": "{"}):
        response = staff_gql.client.post("/graphql/", {**form, **changed, "0": SimpleUploadedFile("a.png", b"x")},
                                         **{**staff_gql.headers, **PREFLIGHT})
        assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=x"):  # no boundary; no parts
        response = staff_gql.client.post("/graphql/", b"--y\r\nnonsense", content_type=content_type,
                                         **{**staff_gql.headers, **PREFLIGHT})
        assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert not ProductImage.objects.exists() and stored_files(media_root) == []


def test_the_operation_in_a_multipart_body_is_held_to_the_json_cap(staff_gql, mug, media_root, settings):
    settings.REQUEST_MAX_BODY_BYTES = 2000
    form = multipart(mug, pictures.png(), name="a.png", alt="x" * 2000)
    response = staff_gql.client.post("/graphql/", form, **{**staff_gql.headers, **PREFLIGHT})
    assert response.status_code == 413 and response.json()["errors"][0]["extensions"] == {
        "code": "REQUEST_TOO_LARGE", "maximum": 2000}
    assert uploaded(staff_gql, mug, pictures.png(600, 400))  # the file itself is far over 2000 bytes


def test_delete_takes_the_files_and_renditions(staff_gql, mug, media_root, jobs):
    first = uploaded(staff_gql, mug, pictures.png())["images"][0]["id"]
    uploaded(staff_gql, mug, pictures.webp())
    jobs.run()
    assert len(stored_files(media_root)) == 2 + 2 * 5 + 2 * 4  # originals; 64..512 and 600; 64..256 and 300
    kept = ProductImage.objects.order_by("pk").last()
    payload = staff_gql(DELETE, {"id": first}).ok()["productMediaDelete"]
    assert payload == {"product": {"images": [{"id": local_id("Image", kept.pk)}]}, "errors": []}
    assert stored_files(media_root) == sorted(
        media_root / name for name in [kept.file.name, *(r["name"] for r in kept.renditions)])
    assert staff_gql(DELETE, {"id": first}).ok()["productMediaDelete"]["errors"] == [
        {"field": ["imageId"], "code": "NOT_FOUND"}]


def test_deleting_a_product_takes_its_files_once_that_commits(staff_gql, mug, media_root,
                                                               django_capture_on_commit_callbacks):
    uploaded(staff_gql, mug, pictures.png())
    with django_capture_on_commit_callbacks(execute=True):
        payload = staff_gql("mutation ($id: ID!) { productDelete(id: $id) { errors { code } } }", {"id": gid(mug)}).ok()
    assert payload["productDelete"]["errors"] == [] and stored_files(media_root) == []


def test_reorder_lists_exactly_the_products_images(staff_gql, mug, make_product, media_root):
    for alt in ("a", "b", "c"):
        ids = [image["id"] for image in uploaded(staff_gql, mug, pictures.gif(), alt=alt)["images"]]
    other = uploaded(staff_gql, make_product("Other", images=0), pictures.gif())["images"][0]["id"]
    payload = staff_gql(REORDER, {"product": gid(mug), "ids": ids[::-1]}).ok()["productMediaReorder"]
    assert [image["alt"] for image in payload["product"]["images"]] == ["c", "b", "a"]
    for wrong in (ids[:2], [*ids, ids[0]], [*ids[:2], other]):
        payload = staff_gql(REORDER, {"product": gid(mug), "ids": wrong}).ok()["productMediaReorder"]
        assert payload == {"product": None, "errors": [{"field": ["imageIds"], "code": "INVALID"}]}
    payload = staff_gql(REORDER, {"product": gid(mug), "ids": [gid(mug)]}).ok()["productMediaReorder"]
    assert payload["errors"] == [{"field": ["imageIds", "0"], "code": "INVALID"}]
    (images,) = staff_gql(IMAGES, {"id": gid(mug)}).ok()["product"].values()
    assert [image["id"] for image in images] == ids[::-1]


def test_images_at_a_url_keep_working(gql, mug):
    ProductImage.objects.create(product=mug, url="https://images.example.com/mug.jpg", alt="Mug")
    (image,) = gql(IMAGES, {"id": gid(mug)}).ok()["product"]["images"]
    assert image["url"] == image["tiny"] == image["big"] == "https://images.example.com/mug.jpg"
    assert (image["width"], image["height"]) == (None, None)


def test_an_absolute_media_url_is_kept(staff_gql, mug, media_root, settings):
    settings.MEDIA_URL = "https://cdn.example.com/media/"
    (image,) = uploaded(staff_gql, mug, pictures.gif())["images"]
    assert image["url"].startswith("https://cdn.example.com/media/products/")


# End to end: daphne serving the API and the media, a real worker making the renditions, over HTTP.

def http_upload(base: str, token: str, product, content: bytes, *, name: str, preflight: bool = True):
    form = multipart(product, content, name=name)
    file = form.pop("0")
    headers = {"Authorization": f"Bearer {token}", **({"apollo-require-preflight": "true"} if preflight else {})}
    return httpx.post(f"{base}/graphql/", data=form, files={"0": (file.name, content, "image/jpeg")},
                      headers=headers, timeout=30)


@pytest.mark.e2e
def test_uploads_over_http_get_renditions_from_the_worker_and_are_served(
        postgres, redis_url, redis_key_prefix, transactional_db, staff_user, mug, media_root, tmp_path):
    from commerce.accounts import tokens

    token = tokens.sign_in(staff_user).access
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-media",
                       MEDIA_UPLOAD_MAX_BYTES="200000", REQUEST_MAX_UPLOAD_BYTES="300000",
                       REQUEST_MAX_BODY_BYTES="100000")
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        web, base = start_daphne(env)
        try:
            for content, name in ((pictures.png(600, 400), "shop.png"), (pictures.jpeg_shot_sideways(), "cam.jpg")):
                answer = http_upload(base, token, mug, content, name=name).json()
                assert answer["data"]["productMediaUpload"]["errors"] == [], answer

            def images():
                return graphql_over_http(base, IMAGES, id=gid(mug))["product"]["images"]

            assert wait_for(lambda: all(image["url"].endswith(".webp") for image in images()), timeout=60), \
                (tmp_path / "worker.log").read_text()[-3000:]
            png, jpeg = images()
            assert (png["width"], png["height"], jpeg["width"], jpeg["height"]) == (600, 400, 600, 800)
            for image, sizes in ((png, (64, 512, 600)), (jpeg, (64, 512, 800))):
                for field, size in zip(("tiny", "mid", "big"), sizes):
                    assert image[field].startswith(f"{base}/media/products/{mug.pk}/")
                    served = httpx.get(image[field], timeout=10)
                    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
                    assert served.headers["x-content-type-options"] == "nosniff"
                    with Image.open(BytesIO(served.content)) as picture:
                        assert max(picture.size) == size and not picture.getexif()
                        assert "exif" not in picture.info
                served = httpx.get(image["jpeg"], timeout=10)
                assert served.headers["content-type"] == "image/jpeg"
                with Image.open(BytesIO(served.content)) as picture:
                    assert max(picture.size) == 512 and not picture.getexif()
            files_before = stored_files(media_root)
            assert len(files_before) == 2 + 2 * 5 + 2 * 5

            # Refused, storing nothing: no preflight header; a lying header; a file over the media cap; a body over
            # the upload cap (413 before it is read); and JSON keeps its own, smaller cap.
            answer = http_upload(base, token, mug, pictures.png(), name="a.png", preflight=False)
            assert answer.status_code == 400 and answer.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
            answer = http_upload(base, token, mug, pictures.png_claiming(20_000, 20_000), name="a.png").json()
            assert answer["data"]["productMediaUpload"]["errors"] == [{"field": ["file"], "code": "IMAGE_TOO_LARGE"}]
            answer = http_upload(base, token, mug, b"\xff\xd8\xff" + bytes(250_000), name="a.jpg").json()
            assert answer["data"]["productMediaUpload"]["errors"] == [{"field": ["file"], "code": "FILE_TOO_LARGE"}]
            answer = http_upload(base, token, mug, bytes(400_000), name="a.jpg")
            assert answer.status_code == 413 and answer.json()["errors"][0]["extensions"]["maximum"] == 300_000
            answer = httpx.post(f"{base}/graphql/", json={"query": "{ shop { name } }", "pad": "x" * 150_000},
                                timeout=10)
            assert answer.status_code == 413 and answer.json()["errors"][0]["extensions"]["maximum"] == 100_000
            assert stored_files(media_root) == files_before and ProductImage.objects.count() == 2
        finally:
            stop(web)
    finally:
        stop(worker)


def graphql_over_http(base: str, query: str, **variables) -> dict:
    body = httpx.post(f"{base}/graphql/", json={"query": query, "variables": variables}, timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


# The Django admin: an upload on the product's page, checked and stored as the API does, with a preview.


def change_form(response) -> dict:
    """The POST a browser would send back from an admin change page, unchanged: the form's and each inline's
    values and management forms (whatever inlines the page has)."""
    def values(form) -> dict:
        found = {}
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False and not hasattr(value, "read"):
                found[form.add_prefix(name)] = "on" if value is True else value
        return found

    data = values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{name}": value for name, value in formset.management_form.initial.items()})
        for form in formset.initial_forms:
            data.update(values(form))
    return data


def admin_upload(admin_client, product, content: bytes, alt: str = "From the admin"):
    url = f"/admin/catalog/product/{product.pk}/change/"
    data = change_form(admin_client.get(url))
    index = int(data["images-TOTAL_FORMS"])
    data.update({"images-TOTAL_FORMS": index + 1, f"images-{index}-upload": SimpleUploadedFile("x.bin", content),
                 f"images-{index}-alt": alt, f"images-{index}-position": 0})
    return admin_client.post(url, data)


def image_errors(response) -> list:
    (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]
                  if inline.formset.prefix == "images"]
    return [error for error in formset.errors if error]


def test_staff_upload_in_the_admin_and_see_a_preview(admin_client, mug, media_root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as announced:
        response = admin_upload(admin_client, mug, pictures.jpeg_shot_sideways(800, 600))
    assert response.status_code == 302, response.context and image_errors(response)
    image = ProductImage.objects.get()
    assert (image.alt, image.width, image.height, image.url) == ("From the admin", 600, 800, "")
    assert stored_files(media_root) == [media_root / image.file.name]
    assert len(announced) == 2  # the renditions' job, and the product change for webhooks (commerce.webhooks.triggers)
    page = admin_client.get(f"/admin/catalog/product/{mug.pk}/change/").content.decode()
    assert f'<img src="/media/{image.file.name}"' in page
    assert f'<img src="/media/{image.file.name}"' in admin_client.get("/admin/catalog/productimage/").content.decode()


def test_the_admin_refuses_what_the_api_refuses(admin_client, mug, media_root, settings):
    for content in (pictures.SVG_WITH_SCRIPT, pictures.png_claiming(20_000, 20_000)):
        response = admin_upload(admin_client, mug, content)
        assert response.status_code == 200 and image_errors(response)
    settings.MEDIA_MAX_IMAGES_PER_PRODUCT = 0
    response = admin_upload(admin_client, mug, pictures.png())
    assert response.status_code == 200 and "at most 0 images" in response.content.decode()
    assert not ProductImage.objects.exists() and stored_files(media_root) == []
