"""Where the repository's files are: the one definition of the repository root and data paths.

Plain ``pathlib.Path`` constants, computed from this file's location (no I/O at import).
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GEO_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = GEO_DIR / "templates"
DATA_DIR = REPO_ROOT / "data"
CODELIST_DIR = DATA_DIR / "codelists"
BOUNDARY_DIR = DATA_DIR / "boundaries"
LAYERS_DIR = DATA_DIR / "layers"
SCHEMA_DIR = DATA_DIR / "schema"
SOURCES_DIR = DATA_DIR / "sources"
PLAN_TEXT = SOURCES_DIR / "plan" / "gaoyao-14th-fyp-2021.txt"
OC4IDS_SCHEMA = SOURCES_DIR / "oc4ids-0.9.5" / "project-schema.json"
REFERENCE_DIR = SOURCES_DIR / "reference"
TOWNS_PUBLISHED_CSV = REFERENCE_DIR / "towns_published.csv"
PROJECTS_CSV = DATA_DIR / "projects.csv"
PROJECTS_GEOJSON = DATA_DIR / "projects.geojson"
PROJECTS_SCHEMA_CSV = SCHEMA_DIR / "projects.csv"
GAZETTEER_CSV = DATA_DIR / "gazetteer.csv"
I18N_CSV = DATA_DIR / "i18n.csv"
#: git-ignored folder for this installation's own files (the tracking database)
INSTANCE_DIR = REPO_ROOT / "instance"
SYNONYMS_CSV = DATA_DIR / "search_synonyms.csv"
DATA_README = DATA_DIR / "README.md"
CACHE_DIR = REPO_ROOT / ".cache"
STATIC_DIR = REPO_ROOT / "static"
