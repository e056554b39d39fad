"""`.env.example` lists every environment variable the code reads (deploy/env_example.py writes it)."""
import subprocess
import sys


def test_env_example_lists_every_setting_the_code_reads():
    result = subprocess.run([sys.executable, "deploy/env_example.py", "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
