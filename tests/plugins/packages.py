"""Installing an example plugin from docs/examples as a real package, into a folder of the
test's own: nothing global changes and no build files land in docs/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def pip_install_copy(example: Path, workdir: Path) -> Path:
    """Copy ``example`` into ``workdir`` and pip-install it into ``workdir/site-packages``;
    answers that folder, which a test puts on sys.path to load the entry point."""
    source = workdir / "source" / example.name
    shutil.copytree(
        example, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    target = workdir / "site-packages"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return target
