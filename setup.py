"""Build the optional compiled engine kernel; everything else is configured in pyproject.toml.

* ``TRIGGERKIT_NO_EXTENSIONS=1``: do not build it (a pure-Python install).
* ``TRIGGERKIT_REQUIRE_EXTENSIONS=1``: fail when it cannot be built (CI sets it).
* Otherwise a missing Cython or C compiler prints a framed notice and installs the pure package.
"""

from __future__ import annotations

import os
import sys

import setuptools
from setuptools import setup
from setuptools.command.build_ext import build_ext

NO_EXTENSIONS = bool(os.environ.get("TRIGGERKIT_NO_EXTENSIONS"))
REQUIRE_EXTENSIONS = bool(os.environ.get("TRIGGERKIT_REQUIRE_EXTENSIONS"))
CYTHON_DIRECTIVES = {"language_level": "3", "binding": True, "embedsignature": True}
# No debug info in the shipped extension (-g0 after the interpreter's own -g wins), and the
# linker strips what is left; MSVC builds carry no debug info without /Zi anyway.
COMPILE_ARGS = [] if os.name == "nt" else ["-O3", "-g0"]
LINK_ARGS = [] if os.name == "nt" or sys.platform == "darwin" else ["-s"]


def _license() -> dict[str, str]:
    """Return the license metadata in the form the running setuptools accepts.

    setuptools 77+ takes an SPDX expression (``license_expression``); older ones (a fresh
    ``python3.11 -m venv`` has setuptools 65) reject ``project.license = "MIT"`` in
    pyproject.toml, so pyproject.toml declares the license dynamic and it is set here.
    """
    major = int(setuptools.__version__.split(".")[0])
    return {"license_expression": "MIT"} if major >= 77 else {"license": "MIT"}


def _notice(reason: str) -> None:
    line = "*" * 78
    print(
        f"\n{line}\n* triggerkit: the compiled engine (triggerkit._speedups) was not built:\n"
        f"*   {reason}\n* The pure-Python engine is installed instead; it gives the same answers, "
        f"slower.\n{line}\n",
        file=sys.stderr,
    )


class OptionalBuildExt(build_ext):
    """Build the extension, falling back to a pure install unless it is required."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            if REQUIRE_EXTENSIONS:
                raise
            _notice(f"{type(exc).__name__}: {exc}")
            self.extensions = []  # nothing to copy or to list as built


def _extensions() -> list:  # type: ignore[type-arg]
    if NO_EXTENSIONS:
        return []
    if sys.implementation.name != "cpython":
        if REQUIRE_EXTENSIONS:
            raise RuntimeError("TRIGGERKIT_REQUIRE_EXTENSIONS is set, but this is not CPython")
        return []
    try:
        from Cython.Build import cythonize
    except ImportError as exc:
        if REQUIRE_EXTENSIONS:
            raise RuntimeError(
                "TRIGGERKIT_REQUIRE_EXTENSIONS is set, but Cython is not installed"
            ) from exc
        _notice("Cython is not installed")
        return []
    from setuptools import Extension

    extension = Extension(
        "triggerkit._speedups",
        ["_speedups/_speedups.pyx"],
        extra_compile_args=COMPILE_ARGS,
        extra_link_args=LINK_ARGS,
    )
    return cythonize(  # type: ignore[no-any-return]
        [extension], compiler_directives=CYTHON_DIRECTIVES, quiet=True
    )


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt}, **_license())
