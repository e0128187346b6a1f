"""Tripwires for the real-loader checks (check_with_torch.py, check_with_tensorflow.py).

Importing this module replaces every `os` function that starts a process (`system`, `popen`,
`exec*`, `spawn*`, `posix_spawn*`) and `subprocess.Popen` with a stand-in that records the call
in `TRIPPED` and raises, so a payload a loader reaches by mistake runs nothing. `REAL_POPEN`
keeps the real `subprocess.Popen` for a check that must start a known tool itself.
"""
import os
import subprocess

TRIPPED = []
REAL_POPEN = subprocess.Popen


def tripwire(name):
    def trip(*args, **kwargs):
        TRIPPED.append((name, args))
        raise RuntimeError(f"tripwire: {name} was called")

    return trip


for _name in (
    "system",
    "popen",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "execl",
    "execle",
    "execlp",
    "execlpe",
    "spawnv",
    "spawnve",
    "spawnvp",
    "spawnvpe",
    "spawnl",
    "spawnle",
    "posix_spawn",
    "posix_spawnp",
):
    if hasattr(os, _name):
        setattr(os, _name, tripwire(f"os.{_name}"))
subprocess.Popen = tripwire("subprocess.Popen")
