#!/usr/bin/env python3
"""Checks rules/python-distributions.toml against PyPI: downloads each
distribution's wheel (for Linux, else for another platform) and says
whether what it installs at its top level includes the module.

    python3 rules/check-python-distributions.py [DOWNLOAD_DIR]

Needs pip and PyPI; prints one line per distribution and exits 1 when
any does not install its module.
"""

import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PLATFORMS = ["manylinux2014_x86_64", "manylinux_2_28_x86_64", "win_amd64", "macosx_11_0_arm64"]


def top_level(archive: Path) -> set[str]:
    """The top-level modules and packages a wheel holds."""
    names = zipfile.ZipFile(archive).namelist()
    found = set()
    for name in names:
        first = name.split("/")[0]
        if not first or first.endswith((".dist-info", ".data", ".egg-info")):
            continue
        if "/" in name or first.endswith((".py", ".so")):
            found.add(first.split(".")[0])
    return found


def main() -> int:
    table = tomllib.loads((ROOT / "python-distributions.toml").read_text())["modules"]
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    failed = 0
    for module, distributions in table.items():
        for distribution in distributions:
            target = out / distribution
            target.mkdir(parents=True, exist_ok=True)
            # a wheel only (an sdist would be built to read its metadata):
            # Linux's, else another platform's, which installs the same names
            for platform in PLATFORMS:
                if any(target.iterdir()):
                    break
                subprocess.run(
                    [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                     "--only-binary=:all:", "--platform", platform, "--python-version", "3.12",
                     "-d", str(target), distribution],
                    stderr=subprocess.DEVNULL)
            archive = next(target.iterdir(), None)
            if archive is None:
                failed += 1
                print(f"BAD {module:<18} {distribution:<32} no wheel")
                continue
            ok = module in top_level(archive)
            failed += not ok
            print(f"{'ok ' if ok else 'BAD'} {module:<18} {distribution:<32} {archive.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
