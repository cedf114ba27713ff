"""Loading the built data for the app, filtering it, and the shareable view state.

Everything here is pure (no Streamlit): GeoDataFrames in and out, CRS EPSG:4326 (lon/lat).
`filter_projects` is the one place deciding which projects the map, the table, the statistics
and the exports show, so they always agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.codelists import REPO_ROOT, read_csv_rows

TEXT_COLUMNS = (
    "id", "title_zh", "title_en", "description", "description_zh", "category", "sector",
    "status", "status_zh", "status_as_of", "plan_ref", "evidence", "location_text", "towns",
    "geometry_kind", "coord_source", "capacity_unit", "notes", "precision_slug",
    "geocode_method", "geocode_matched", "towns_text", "towns_spatial", "towns_all",
    "town_codes",
)
NUMBER_COLUMNS = (
    "lon", "lat", "berths", "berth_dwt", "capacity", "voltage_kv", "length_km_stated",
    "area_km2_stated", "units", "length_km", "area_km2",
)
#: columns searched by the free-text filter
SEARCH_COLUMNS = (
    "id", "title_zh", "title_en", "location_text", "evidence", "towns_all", "description",
    "description_zh",
)
MAX_TEXT = 80  # longest free-text query kept from a URL


class DataFileError(ValueError):
    """A data file the app needs is missing, unreadable, or has no/the wrong CRS."""


def _read(path: Path | str) -> gpd.GeoDataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: file not found")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types
        raise DataFileError(f"{path}: not readable as GeoJSON ({exc})") from exc
    if gdf.crs is None:
        raise DataFileError(f"{path}: has no CRS (expected EPSG:4326)")
    if gdf.crs.to_epsg() != 4326:
        raise DataFileError(f"{path}: CRS is {gdf.crs.to_string()}, expected EPSG:4326")
    return gdf


def load_layer(path: Path | str) -> gpd.GeoDataFrame:
    """Read a boundary/river GeoJSON (EPSG:4326). Raises DataFileError naming the file."""
    gdf = _read(path)
    if gdf.geometry.isna().all() or not gdf.geometry.is_valid.all():
        gdf = gdf.copy()
        gdf["geometry"] = gdf.geometry.make_valid()
    return gdf


def load_projects(path: Path | str) -> gpd.GeoDataFrame:
    """Read the built ``projects.geojson`` (EPSG:4326) and normalise its columns.

    Text columns become ``str`` ('' when blank), quantities ``float`` (NaN when blank),
    ``precision`` ``int`` (9 when missing). Features without geometry (precision 9) are kept.
    Raises DataFileError naming the file when it is missing, unreadable, or not EPSG:4326,
    or when it lacks ``id``/``category``/``status``."""
    gdf = _read(path)
    missing = [c for c in ("id", "category", "status") if c not in gdf.columns]
    if missing:
        raise DataFileError(f"{path}: missing properties {missing}")
    gdf = gdf.copy()
    for col in TEXT_COLUMNS:
        if col not in gdf.columns:
            gdf[col] = ""
        gdf[col] = gdf[col].map(lambda v: "" if v is None or v != v else str(v)).astype(object)
    for col in NUMBER_COLUMNS:
        if col not in gdf.columns:
            gdf[col] = float("nan")
        gdf[col] = pd.to_numeric(gdf[col], errors="coerce").astype(float)
    gdf["precision"] = (
        pd.to_numeric(gdf.get("precision"), errors="coerce").fillna(9).astype(int)
    )
    if "inside_district" not in gdf.columns:
        gdf["inside_district"] = True
    return gdf.reset_index(drop=True)


# --------------------------------------------------------------------------- codelists
@dataclass(frozen=True)
class Codelists:
    """The three codelists as DataFrames indexed by ``code`` (precision codes are int)."""

    categories: pd.DataFrame
    status: pd.DataFrame
    precision: pd.DataFrame


def read_codelist(path: Path | str) -> pd.DataFrame:
    """A codelist CSV (``geo.codelists.read_csv_rows``) as a DataFrame of strings."""
    return pd.DataFrame(read_csv_rows(Path(path)), dtype=object)


def load_codelists(directory: Path | str = REPO_ROOT / "data" / "codelists") -> Codelists:
    """Read categories.csv, status.csv and precision.csv from `directory`."""
    directory = Path(directory)
    cats = read_codelist(directory / "categories.csv").set_index("code")
    status = read_codelist(directory / "status.csv").set_index("code")
    prec = read_codelist(directory / "precision.csv")
    prec["code"] = prec["code"].astype(int)
    return Codelists(cats, status, prec.set_index("code"))


# --------------------------------------------------------------------------- towns
def split_list(value: object) -> list[str]:
    """``'a;b; c'`` -> ``['a', 'b', 'c']``; blanks and NaN -> ``[]``."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [p.strip() for p in str(value).split(";") if p.strip()]


def project_town_codes(projects: gpd.GeoDataFrame, towns: pd.DataFrame | None = None) -> pd.Series:
    """Town codes of each project, from the built ``town_codes`` property; when that is blank,
    from ``towns_all`` names mapped through `towns` (``code``/``name_zh``)."""
    by_name = {}
    if towns is not None and len(towns):
        by_name = dict(zip(towns["name_zh"], towns["code"], strict=False))

    def codes(row: pd.Series) -> tuple[str, ...]:
        got = split_list(row.get("town_codes", ""))
        if not got and by_name:
            got = [by_name[n] for n in split_list(row.get("towns_all", "")) if n in by_name]
        return tuple(got)

    if len(projects) == 0:
        return pd.Series([], dtype=object, index=projects.index)
    return projects.apply(codes, axis=1)


def projects_in_town(projects: gpd.GeoDataFrame, code: str,
                     towns: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Every project whose ``town_codes`` (in or crossing the town) includes `code`."""
    mask = project_town_codes(projects, towns).map(lambda cs: code in cs)
    return projects[mask.astype(bool)]


def town_at(lon: float, lat: float, towns: gpd.GeoDataFrame) -> str | None:
    """Code of the town containing the WGS84 point (lon, lat), or None."""
    pt = shapely.Point(lon, lat)
    hits = towns[towns.geometry.covers(pt)]
    return None if hits.empty else str(hits.iloc[0]["code"])


def town_from_click(clicked: Mapping | None, towns: gpd.GeoDataFrame) -> str | None:
    """Town chosen by a click on the map, from st_folium's returned dict.

    ``last_active_drawing`` of a town outline carries ``properties.town_code``; a click on
    another thing (a project) chooses nothing. A bare ``last_object_clicked`` position is located
    by point-in-polygon on `towns` (EPSG:4326) when no drawing is given."""
    if not clicked:
        return None
    codes = set(towns["code"].astype(str))
    drawing = clicked.get("last_active_drawing") or {}
    props = drawing.get("properties") or {} if isinstance(drawing, Mapping) else {}
    if props:
        code = str(props.get("town_code", ""))
        return code if code in codes else None
    pos = clicked.get("last_object_clicked")
    if isinstance(pos, Mapping) and "lat" in pos and "lng" in pos:
        try:
            return town_at(float(pos["lng"]), float(pos["lat"]), towns)
        except (TypeError, ValueError):
            return None
    return None


# --------------------------------------------------------------------------- filtering
def _casefold(value: object) -> str:
    return str(value).casefold()


def search_mask(projects: pd.DataFrame, text: str) -> pd.Series:
    """True where every whitespace-separated term of `text` occurs (case-insensitively) in the
    titles (zh/en), location text, evidence, towns, descriptions or id."""
    terms = [t.casefold() for t in str(text).split() if t]
    if not terms:
        return pd.Series(True, index=projects.index)
    cols = [c for c in SEARCH_COLUMNS if c in projects.columns]
    mask = pd.Series(True, index=projects.index)
    if not cols or len(projects) == 0:
        return mask & (len(cols) > 0)
    # vectorised " ".join of the columns, then casefold (same text as a row-wise join)
    haystack = projects[cols[0]].astype(str)
    for col in cols[1:]:
        haystack = haystack + " " + projects[col].astype(str)
    haystack = haystack.str.casefold()
    for term in terms:
        mask &= haystack.str.contains(term, regex=False)
    return mask


def filter_projects(
    projects: gpd.GeoDataFrame,
    categories: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    towns: Iterable[str] | None = None,
    precisions: Iterable[int] | None = None,
    text: str | None = None,
    town_table: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Projects matching every given filter; ``None`` or empty means "no filter on this".

    `towns` are town codes: a project matches when any of its ``town_codes`` (built from the
    spatial join, so lines crossing a town count) is selected. `town_table` (``code``,
    ``name_zh``) is only needed for data without ``town_codes``. CRS is kept (EPSG:4326)."""
    mask = pd.Series(True, index=projects.index)
    if categories:
        mask &= projects["category"].isin(set(categories))
    if statuses:
        mask &= projects["status"].isin(set(statuses))
    if precisions:
        mask &= projects["precision"].isin({int(p) for p in precisions})
    if towns:
        mask &= town_mask(projects, towns, town_table)
    if text:
        # only the rows still selected are searched (the cheap filters come first)
        hit = search_mask(projects[mask.astype(bool)], text)
        mask &= hit.reindex(projects.index, fill_value=False)
    return projects[mask.astype(bool)]


def town_mask(projects: pd.DataFrame, towns: Iterable[str],
              town_table: pd.DataFrame | None = None) -> pd.Series:
    """True where any of a project's town codes (see `project_town_codes`) is in `towns`.
    Vectorised over the built ``town_codes``; rows without them fall back to
    `project_town_codes` (names in ``towns_all`` through `town_table`)."""
    wanted = {str(t) for t in towns}
    if len(projects) == 0:
        return pd.Series([], dtype=bool, index=projects.index)
    if "town_codes" in projects.columns:
        raw = projects["town_codes"].map(lambda v: "" if v is None or v != v else str(v))
    else:
        raw = pd.Series("", index=projects.index)
    norm = ";" + raw.str.replace(r"\s*;\s*", ";", regex=True).str.strip() + ";"
    mask = pd.Series(False, index=projects.index)
    for code in wanted:
        mask |= norm.str.contains(f";{code};", regex=False)
    blank = raw.str.strip().str.strip(";").str.strip() == ""
    if blank.any():
        codes = project_town_codes(projects[blank], town_table)
        mask[blank] = codes.map(lambda cs: bool(wanted & set(cs))).astype(bool)
    return mask


def counts(projects: pd.DataFrame, column: str) -> dict[str, int]:
    """Number of projects per value of `column` (e.g. for "港口 (3)" filter labels)."""
    if column not in projects.columns or len(projects) == 0:
        return {}
    return {str(k): int(v) for k, v in projects[column].value_counts().items()}


# --------------------------------------------------------------------------- view state
LANGS = ("zh", "en")
MODES = ("normal", "kiosk")


@dataclass(frozen=True)
class ViewState:
    """What the URL query string carries: filters, town view, language, mode, basemap."""

    lang: str = "zh"
    mode: str = "normal"
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    precisions: tuple[int, ...] = ()
    text: str = ""
    town: str = ""  # town view (code) or ''
    basemap: str = "none"


#: query-string key for each ViewState field
PARAM_KEYS = {
    "lang": "lang", "mode": "mode", "categories": "cat", "statuses": "status", "towns": "town",
    "precisions": "prec", "text": "q", "town": "view", "basemap": "base",
}


@dataclass(frozen=True)
class Valid:
    """Allowed values for each ViewState field (from the codelists and the towns file)."""

    categories: Sequence[str] = ()
    statuses: Sequence[str] = ()
    towns: Sequence[str] = ()
    precisions: Sequence[int] = ()
    basemaps: Sequence[str] = ("none",)
    extra: dict = field(default_factory=dict)


def _first(value: object) -> str:
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return "" if value is None else str(value)


def _many(value: object, allowed: Sequence, cast: type = str) -> tuple:
    parts: list[str] = []
    for v in value if isinstance(value, list | tuple) else [value]:
        parts += [p for p in _first(v).split(",") if p]
    out = []
    for p in parts:
        try:
            item = cast(p.strip())
        except ValueError:
            continue
        if item in allowed and item not in out:
            out.append(item)
    return tuple(out)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_query_params(params: Mapping[str, object], valid: Valid) -> ViewState:
    """ViewState from a query-string mapping; unknown keys are ignored and every unknown or
    malicious value falls back to the default (values are checked against `valid`)."""
    get = lambda name: params.get(PARAM_KEYS[name], "")  # noqa: E731
    lang = _first(get("lang"))
    mode = _first(get("mode"))
    base = _first(get("basemap"))
    town = _first(get("town"))
    text = _CONTROL.sub(" ", _first(get("text")))[:MAX_TEXT].strip()
    return ViewState(
        lang=lang if lang in LANGS else "zh",
        mode=mode if mode in MODES else "normal",
        categories=_many(get("categories"), valid.categories),
        statuses=_many(get("statuses"), valid.statuses),
        towns=_many(get("towns"), valid.towns),
        precisions=_many(get("precisions"), valid.precisions, int),
        text=text,
        town=town if town in valid.towns else "",
        basemap=base if base in valid.basemaps else "none",
    )


def to_query_params(state: ViewState) -> dict[str, str]:
    """Query-string mapping for `state`, leaving out defaults (so the home URL is clean)."""
    default = ViewState()
    out: dict[str, str] = {}
    for f in fields(ViewState):
        value = getattr(state, f.name)
        if value == getattr(default, f.name):
            continue
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        out[PARAM_KEYS[f.name]] = str(value)
    return out


def with_changes(state: ViewState, **changes: object) -> ViewState:
    """Copy of `state` with `changes` (a thin wrapper over dataclasses.replace)."""
    return replace(state, **changes)


# --------------------------------------------------------------------------- export
EXPORT_DROP = ("style",)


def to_geojson(projects: gpd.GeoDataFrame) -> str:
    """FeatureCollection (RFC 7946, EPSG:4326) of `projects`, coordinates as stored."""
    gdf = projects.drop(columns=[c for c in EXPORT_DROP if c in projects.columns])
    data = json.loads(gdf.to_json(na="null", drop_id=True))
    return json.dumps(data, ensure_ascii=False)


def to_csv(projects: gpd.GeoDataFrame) -> str:
    """CSV of `projects`' properties plus ``wkt_wgs84``: the drawn geometry as WKT (EPSG:4326,
    lon/lat). (The registry's own ``geometry_wkt`` column, if present, is kept as it is.)"""
    df = pd.DataFrame(projects.drop(columns="geometry"))
    df["wkt_wgs84"] = projects.geometry.map(lambda g: "" if g is None else g.wkt)
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].map(csv_safe)
    return df.to_csv(index=False)


#: a spreadsheet treats a cell starting with one of these as a formula (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """`value` with a leading ``'`` when it is text a spreadsheet would run as a formula
    (starts with ``= + - @``, TAB or CR, also after leading spaces); other values unchanged.
    Numbers stay numbers, so a negative quantity is not touched."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value
