"""For ``scrapyd-deploy`` only, which builds the project's egg with ``python setup.py bdist_egg``.

Everything (name, version, packages, package data, the ``scrapy`` settings entry point that Scrapyd reads)
comes from ``pyproject.toml``; without this file ``scrapyd-deploy`` writes its own, naming the project
"project". See docs/scrapyd.md.
"""

from setuptools import setup

setup()
