"""Plant one bug at a time in the source, run the tests that should catch it, and put the source back.

Each bug is ``(path, old, new)`` or ``(path, old, new, tests)``: ``old`` is replaced by ``new`` once in
``path`` (relative to the checkout), and ``tests`` (pytest arguments, else the script's own) must fail.
Prints KILLED or SURVIVED per bug (MISSING when ``old`` is no longer in the file) and the count killed.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from collections.abc import Sequence

ROOT = pathlib.Path(__file__).resolve().parent.parent


def plant(bugs: Sequence[tuple], tests: Sequence[str], timeout: int = 1800) -> int:
    killed = 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # this checkout's plugin, also from a worktree
    for path, old, new, *own_tests in bugs:
        source = ROOT / path
        text = source.read_text()
        if old not in text:
            print("MISSING ", path, old[:60].replace("\n", " "), flush=True)
            continue
        source.write_text(text.replace(old, new, 1))
        try:
            run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                  *(own_tests[0] if own_tests else tests)],
                                 cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
        finally:
            source.write_text(text)
        caught = run.returncode != 0
        killed += caught
        print("KILLED  " if caught else "SURVIVED", path, "|", new[:80].replace("\n", " "), flush=True)
    print(f"{killed}/{len(bugs)} killed")
    return 0
