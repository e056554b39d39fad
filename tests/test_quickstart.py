"""The README's quickstart works as written: its shell blocks, run in order against a real server on demo data."""
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from commerce.carts.demo import seed_checkout
from tests.servers import deployed_env, start_daphne, stop


def quickstart_script() -> str:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return "set -eu\n" + "\n".join(re.sub(r"^ {3}", "", block, flags=re.M) for block in blocks)


@pytest.mark.timeout(180)
def test_a_newcomer_following_the_quickstart_buys_and_then_signs_in(transactional_db, tmp_path):
    call_command("seed_catalog", products=5, verbosity=0)
    seed_checkout()
    env = deployed_env(PAYMENTS_DEMO="1", STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="")
    with open(tmp_path / "daphne.log", "w") as log:
        server, base = start_daphne(env, log=log)
        try:
            script = quickstart_script().replace("API=http://127.0.0.1:8000/graphql/", f"API={base}/graphql/")
            run = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=120)
        finally:
            stop(server)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert '"status":"PAID"' in run.stdout and '"paymentStatus":"PAID"' in run.stdout
    assert '"WELCOME10"' not in run.stdout and '"discount":{"amount":"0.00"}' not in run.stdout
    assert '"me":{"email":"ada@example.com"' in run.stdout
