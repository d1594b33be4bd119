"""Declares the Cython extensions; all other metadata lives in pyproject.toml.

Each compiled module is the Cython build of a pure-Python twin that stays importable
(``obdcore/protocol/_core.py`` -> ``obdcore.protocol._ccore``). When the compiler or Cython
is missing the build still succeeds and the package runs on the pure-Python twin, saying so
once.
"""

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

TWINS = {"obdcore.protocol._ccore": "obdcore/protocol/_core.py"}


class OptionalBuildExt(build_ext):
    """Builds the extensions, but never fails the install because of them."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure means "use the twin"
            _warn(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            _warn(exc)


def _warn(exc):
    sys.stderr.write(
        f"WARNING: compiling the obdcore accelerator failed ({exc}); "
        "novaevo will run on the pure-Python decoder.\n"
    )


def _extensions():
    try:
        from Cython.Build import cythonize
    except ImportError:
        _warn("Cython is not installed")
        return []
    # No FMA contraction: the C build must round exactly like CPython floats.
    modules = [
        Extension(name, [source], extra_compile_args=["-O2", "-ffp-contract=off"])
        for name, source in TWINS.items()
    ]
    return cythonize(
        modules,
        language_level=3,
        quiet=True,
        # Bounds checks stay on: garbage from a dongle must never read past a
        # buffer. The hot loops index raw C pointers, which are never checked.
        compiler_directives={"cdivision": True},
    )


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
