#!/usr/bin/env python3
"""Checks that the real joblib reads the joblib array samples the way aibom's findings say.

    python3 -m venv /tmp/jl && /tmp/jl/bin/pip install joblib numpy
    /tmp/jl/bin/python samples/check_joblib_arrays.py

Each sample is loaded with joblib's own `NumpyUnpickler` (the class `joblib.load` uses), whose
`find_class` is replaced: `NumpyArrayWrapper` and `numpy.dtype` are the real classes (joblib's
array reading and NumPy's `dtype.__setstate__` are what is checked), `NDArrayWrapper` is a
subclass of the real one whose `read` only records the path it would load, and every other
global is an inert stub that records its name. Nothing named by a sample is imported or
called: `os.system` is recorded, never resolved. A sample passes when the loader reaches what
aibom reports (`os.system` after the array data, or the outside path), whatever the load does
after it.
"""
import os
import sys
from pathlib import Path

from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler
from joblib.numpy_pickle_compat import NDArrayWrapper
import numpy

ROOT = Path(__file__).resolve().parent / "malicious"

EXPECT = {
    "joblib_shape_from_memo.joblib": ("global", ("os", "system")),
    "joblib_void_dtype_object_flag.joblib": ("global", ("os", "system")),
    "joblib_shape_list.joblib": ("global", ("os", "system")),
    "joblib_external_array.pkl": ("path", "../../outside/array.npy"),
}


class Stub:
    """Stands in for any other global: calls, NEWOBJ and BUILD record nothing and run nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


class RecordedArrayFile(NDArrayWrapper):
    def read(self, unpickler):
        unpickler.paths.append(os.path.relpath(os.path.join(unpickler._dirname, self.filename),
                                               unpickler._dirname))
        return None


class Recording(NumpyUnpickler):
    REAL = {
        ("joblib.numpy_pickle", "NumpyArrayWrapper"): NumpyArrayWrapper,
        ("numpy", "dtype"): numpy.dtype,
        ("joblib.numpy_pickle_compat", "NDArrayWrapper"): RecordedArrayFile,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.globals = []
        self.paths = []

    def find_class(self, module, name):
        real = self.REAL.get((module, name))
        if real is not None:
            return real
        self.globals.append((module, name))
        return Stub


def main() -> int:
    failed = 0
    for name, (kind, want) in sorted(EXPECT.items()):
        path = ROOT / name
        with open(path, "rb") as f:
            u = Recording(str(path), f, True)
            try:
                u.load()
                error = None
            except Exception as e:  # a load that fails before the payload is a failed check
                error = f"{type(e).__name__}: {e}"
        got = u.globals if kind == "global" else u.paths
        # Reaching the payload is the check; what the load does after it does not matter.
        ok = want in got
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {kind} {want} {'reached' if want in got else 'NOT reached'}"
              + (f" (load error: {error})" if error else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
