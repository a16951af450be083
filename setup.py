"""Package discovery only; all metadata is in pyproject.toml.

The backends live in the top-level folder ``backends/`` (one sub-package per target) but are
installed under the import name ``neurocompile_backends`` so that ``backends/lava`` can never
shadow the ``lava`` package of lava-nc in site-packages.
"""

from setuptools import find_packages, setup

core = find_packages(include=["neurocompile", "neurocompile.*"])
backends = [
    "neurocompile_backends" + p[len("backends") :]
    for p in find_packages(include=["backends", "backends.*"])
]
setup(packages=core + backends, package_dir={"neurocompile_backends": "backends"})
