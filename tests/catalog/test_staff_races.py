"""Staff editing the catalog at the same moment on PostgreSQL: products created into a subcategory while
categories are created and moved around it all succeed, without a deadlock (which a client sees as a 500); an
edit waiting for another keeps what that one changed; and a slug taken a moment before is ALREADY_EXISTS."""
import threading
import time

from django.db import close_old_connections, connection, transaction

from commerce.catalog import staff
from commerce.catalog.models import Category, Product

ROUNDS = 8


def in_parallel(calls) -> list[Exception]:
    start, failures = threading.Barrier(len(calls)), []

    def run(call):
        try:
            start.wait()
            call()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_products_created_into_a_subcategory_while_categories_are_created_and_moved(postgres, transactional_db):
    clothing = staff.create_category(name="Clothing")
    home = staff.create_category(name="Home")
    men = staff.create_category(name="Men", parent_id=clothing.pk)
    shirts = staff.create_category(name="Shirts", parent_id=men.pk)
    for round_ in range(ROUNDS):
        parent = home if round_ % 2 else clothing
        calls = [lambda n=n: staff.create_product(name=f"Shirt {round_}.{n}", category_id=shirts.pk) for n in range(4)]
        calls += [lambda n=n: staff.create_category(name=f"Sub {round_}.{n}", parent_id=men.pk) for n in range(3)]
        calls.append(lambda parent=parent: staff.update_category(men.pk, {"parent_id": parent.pk}))
        assert in_parallel(calls) == []
    assert Product.objects.count() == 4 * ROUNDS and Category.objects.count() == 4 + 3 * ROUNDS
    men.refresh_from_db()
    assert men.parent_id == home.pk and Category.objects.get(pk=shirts.pk).level == 2
    # every shirt is listed in Shirts, Men and Men's parent as it is now, whatever the order the writes ran in
    assert set(home.listed_products.values_list("pk", flat=True)) == set(Product.objects.values_list("pk", flat=True))
    assert not clothing.listed_products.exists()


def someone_waits_for_a_lock(timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


def test_a_rename_waiting_for_a_move_keeps_the_move(postgres, transactional_db):
    clothing, home = staff.create_category(name="Clothing"), staff.create_category(name="Home")
    men = staff.create_category(name="Men", parent_id=clothing.pk)
    moved, release = threading.Event(), threading.Event()

    def move():
        with transaction.atomic():  # the move is made and held open until the rename is waiting for it
            staff.update_category(men.pk, {"parent_id": home.pk})
            moved.set()
            release.wait(10)
        close_old_connections()

    def rename():
        staff.update_category(men.pk, {"name": "Menswear"})
        close_old_connections()

    mover = threading.Thread(target=move)
    mover.start()
    assert moved.wait(10)
    renamer = threading.Thread(target=rename)
    renamer.start()
    assert someone_waits_for_a_lock()
    release.set()
    mover.join(), renamer.join()
    men.refresh_from_db()
    assert (men.name, men.parent_id, men.level) == ("Menswear", home.pk, 1)


def test_a_slug_another_writer_takes_while_the_create_runs_is_already_exists(postgres, transactional_db, staff_gql):
    """The other writer's row is not committed when the create checks the slug, so only the unique index sees the
    clash: the create waits on it and then fails to insert."""
    held, released = threading.Event(), threading.Event()

    def take_the_slug():
        with transaction.atomic():
            Product.objects.create(name="Linen Shirt", slug="linen-shirt")
            held.set()
            someone_waits_for_a_lock()
        released.set()
        close_old_connections()

    other = threading.Thread(target=take_the_slug)
    other.start()
    assert held.wait(10)
    answer = staff_gql("""mutation { productCreate(input: {name: "Shirt", slug: "linen-shirt"}) {
      product { id } errors { field code } } }""")
    other.join()
    assert released.is_set()
    assert answer.ok()["productCreate"] == {"product": None, "errors": [{"field": ["input", "slug"],
                                                                          "code": "ALREADY_EXISTS"}]}
    assert list(Product.objects.values_list("name", flat=True)) == ["Linen Shirt"]
