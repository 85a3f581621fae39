"""The datasette plugin of arabpress-crawler: metadata, templates, static files, search and charts.

Registered by entry point (``[project.entry-points.datasette]`` in pyproject), so plain
``datasette data/arabpress.db`` gets the same pages as ``arabpress serve``. Datasette finds the
``templates/`` and ``static/`` folders beside this package's ``__init__`` because the entry point names
the package; the hook implementations live in :mod:`.plugin` and :mod:`.pages` and are imported here.

:func:`build_metadata` turns the bundled ``metadata.json`` (written for a database named ``arabpress``)
into the metadata of a database actually served, whatever its file name.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
METADATA_FILE = PACKAGE_DIR / "metadata.json"
#: The datasette-dashboards dashboard of one database (its charts name no database: added per database).
DASHBOARD_FILE = PACKAGE_DIR / "dashboard.json"
DASHBOARDS_PLUGIN = "datasette-dashboards"
DASHBOARDS_PATH = "/-/dashboards"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
#: URL prefix of the static files (CSS), served by the plugin's own route.
STATIC_MOUNT = "arabpress-static"
#: The database name the bundled metadata is written for.
METADATA_DATABASE = "arabpress"
CHARTS_PATH = "/-/charts"


def build_metadata(database_name: str) -> dict[str, Any]:
    """The bundled metadata with its database section keyed by ``database_name``."""
    return build_metadata_for([database_name])


def build_metadata_for(database_names: list[str]) -> dict[str, Any]:
    """The bundled metadata with one database section per name (none: the instance-wide part only)."""
    metadata = json.loads(METADATA_FILE.read_text(encoding="utf-8"))
    section = metadata.pop("databases", {}).get(METADATA_DATABASE, {})
    metadata["databases"] = {name: json.loads(json.dumps(section)) for name in database_names}
    metadata.setdefault("plugins", {})[DASHBOARDS_PLUGIN] = {name: dashboard(name) for name in database_names}
    return metadata


def dashboard(database_name: str) -> dict[str, Any]:
    """The charts of one database for datasette-dashboards (``/-/dashboards/<database>``)."""
    board = json.loads(DASHBOARD_FILE.read_text(encoding="utf-8"))
    board["title"] = f"{board['title']} ({database_name})"
    for chart in board["charts"].values():
        chart["db"] = database_name
    return board


# The hook implementations: pluggy registers every @hookimpl function found on this module.
from arabpress_crawler.datasette.pages import (  # noqa: E402
    asgi_wrapper,
    extra_body_script,
    extra_template_vars,
    get_metadata,
    render_linked_title,
)
from arabpress_crawler.datasette.plugin import (  # noqa: E402
    extra_css_urls,
    menu_links,
    prepare_connection,
    register_routes,
    render_cell,
)

__all__ = [
    "asgi_wrapper",
    "build_metadata",
    "build_metadata_for",
    "extra_body_script",
    "extra_css_urls",
    "extra_template_vars",
    "get_metadata",
    "menu_links",
    "prepare_connection",
    "register_routes",
    "render_cell",
    "render_linked_title",
]
