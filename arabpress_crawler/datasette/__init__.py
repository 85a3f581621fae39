"""What ``arabpress serve`` gives datasette: metadata, templates, static files and a plugin.

:func:`build_metadata` turns the bundled ``metadata.json`` (written for a database named ``arabpress``)
into the metadata of the database actually served, whatever its file name.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
METADATA_FILE = PACKAGE_DIR / "metadata.json"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
#: URL prefix of the static files (CSS) mounted by ``arabpress serve``.
STATIC_MOUNT = "arabpress-static"
#: The database name the bundled metadata is written for.
METADATA_DATABASE = "arabpress"
CHARTS_PATH = "/-/charts"


def build_metadata(database_name: str) -> dict[str, Any]:
    """The bundled metadata with its database section keyed by ``database_name``."""
    metadata = json.loads(METADATA_FILE.read_text(encoding="utf-8"))
    databases = metadata.get("databases", {})
    if METADATA_DATABASE in databases and database_name != METADATA_DATABASE:
        databases[database_name] = databases.pop(METADATA_DATABASE)
    return metadata
