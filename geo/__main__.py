"""Command line: ``python -m geo <command>``.

Commands
  towns                  the 17 towns: code, name, English name, seat lon/lat, area, boundary
  geocode TEXT [--json]  geocode a location text and show the towns it falls in
  build                  geocode the registry into data/projects.geojson + data/layers/
  validate               check data/projects.csv
  export --oc4ids PATH   write an OC4IDS package from the built data
  export --projects PATH write the built projects (optionally filtered) as GeoJSON
  schema [--markdown]    the registry's columns (data/schema/projects.csv)
  users add|list|disable|enable   progress-tracking accounts (tracking/cli.py)
  db init|upgrade|current|backup|restore|export-events   the tracking database

Exit codes: 0 ok, 1 data errors (or missing inputs), 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from shapely import wkt as shapely_wkt

from geo.cli_out import err as _err
from geo.cli_out import print_rows
from geo.coords import round_coords
from geo.crs import METRIC


def cmd_towns(args: argparse.Namespace) -> int:
    """Print the 17 towns (from geo.boundaries.load_towns)."""
    try:
        from geo.boundaries import load_towns

        towns = load_towns()
    except Exception as exc:
        _err(f"cannot load the town boundaries ({type(exc).__name__}: {exc}); "
             "run `python -m prep.boundaries` (make data) first")
        return 1
    towns = towns.sort_values("code")
    if "area_km2" in towns.columns:
        areas = towns["area_km2"].astype(float)
    else:
        areas = towns.to_crs(METRIC).area / 1e6
    rows = []
    for (_, t), area in zip(towns.iterrows(), areas, strict=True):
        rows.append({
            "code": str(t["code"]), "name_zh": t["name_zh"], "name_en": t.get("name_en", ""),
            "seat_lon": round_coords(t["seat_lon"]), "seat_lat": round_coords(t["seat_lat"]),
            "area_km2": round(float(area), 1), "boundary_source": t.get("boundary_source", ""),
        })
    print_rows(rows, args.json, lambda r: (
        f"{r['code']:<10} {r['name_zh']:<6} {r['name_en']:<20} {r['seat_lon']:>11.6f} "
        f"{r['seat_lat']:>10.6f} {r['area_km2']:>7.1f}  {r['boundary_source']}"), "towns",
        header=(f"{'code':<10} {'name':<6} {'English':<20} {'seat lon':>11} {'seat lat':>10} "
                f"{'km2':>7}  boundary"))
    return 0


def cmd_geocode(args: argparse.Namespace) -> int:
    """Geocode one text; 0 when geocoded, 1 when not geocoded or inputs are broken."""
    from geo.gazetteer import GazetteerError, load_gazetteer
    from geo.geocoder import geocode

    try:
        gaz = load_gazetteer(args.gazetteer)
    except (OSError, GazetteerError) as exc:
        _err(f"gazetteer: {exc}")
        return 1
    towns = river = None
    warnings = []
    try:
        from geo.boundaries import load_river, load_towns

        towns = load_towns()
        try:
            river = load_river()
        except Exception as exc:
            warnings.append(f"river line not available ({type(exc).__name__})")
    except Exception as exc:
        warnings.append(f"town boundaries not available ({type(exc).__name__}); "
                        "no spatial join")
    res = geocode(args.text, gaz, towns=towns, river=river, kind=args.kind)
    in_towns: list[dict] = []
    if res.geometry is not None and towns is not None:
        from geo.spatial import towns_for_geometry

        in_towns = towns_for_geometry(res.geometry, towns)
    geom_wkt = (shapely_wkt.dumps(res.geometry, rounding_precision=6, trim=True)
                if res.geometry is not None else None)
    out = {
        "text": args.text,
        "geometry_type": res.geometry.geom_type if res.geometry is not None else None,
        "wkt": geom_wkt,
        "precision": res.precision,
        "precision_slug": res.precision_slug,
        "method": res.method,
        "matched": list(res.matched),
        "towns": in_towns,
        "note": res.note,
        "note_zh": res.note_zh,
        "warnings": warnings,
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print(f"text:      {args.text}")
        print(f"geometry:  {out['geometry_type']}")
        print(f"wkt:       {geom_wkt}")
        print(f"precision: {res.precision} {res.precision_slug}")
        print(f"method:    {res.method}")
        print(f"matched:   {'; '.join(res.matched) or '-'}")
        towns_txt = "; ".join(f"{t['name_zh']} ({t['code']})" for t in in_towns)
        print(f"towns:     {towns_txt or '-'}")
        print(f"note:      {res.note}")
        print(f"note_zh:   {res.note_zh}")
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
    return 0 if res.ok else 1


def cmd_build(args: argparse.Namespace) -> int:
    from geo.build import main

    return int(main(args))


def cmd_validate(args: argparse.Namespace) -> int:
    from geo.registry import validate_main

    return int(validate_main(args))


def cmd_export(args: argparse.Namespace) -> int:
    """OC4IDS package and/or projects GeoJSON; the first failure's exit code (2: neither)."""
    if not (args.oc4ids or args.projects):
        _err("export: give --oc4ids PATH and/or --projects PATH")
        return 2
    code = 0
    if args.oc4ids:
        from geo.oc4ids import export_main

        code = int(export_main(args))
    if args.projects and code == 0:
        from geo.export import export_main as export_projects

        code = int(export_projects(args))
    return code


def cmd_schema(args: argparse.Namespace) -> int:
    from geo.schema import schema_main

    return int(schema_main(args))


def make_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``python -m geo``."""
    ap = argparse.ArgumentParser(prog="python -m geo",
                                 description="高要区 14th Five-Year Plan map: data tools")
    sub = ap.add_subparsers(dest="command", metavar="command")
    sub.required = True

    p = sub.add_parser("towns", help="list the 17 towns")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_towns)

    p = sub.add_parser("geocode", help="geocode a location text")
    p.add_argument("text", help="location text, e.g. 金利镇西侧")
    p.add_argument("--kind", choices=("point", "line", "area"), default="point")
    p.add_argument("--gazetteer", default=None, help="gazetteer csv (default data/gazetteer.csv)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_geocode)

    p = sub.add_parser("build", help="build data/projects.geojson and data/layers/")
    p.add_argument("--projects", default="data/projects.csv")
    p.add_argument("--out", default="data/projects.geojson")
    p.add_argument("--layers-dir", dest="layers_dir", default="data/layers")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="validate data/projects.csv")
    p.add_argument("--projects", default="data/projects.csv")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("export", help="export OC4IDS and/or the projects GeoJSON")
    p.add_argument("--oc4ids", metavar="PATH", help="write an OC4IDS 0.9 project package")
    p.add_argument("--projects", metavar="PATH", help="write the projects as GeoJSON")
    p.add_argument("--built", default=None, help="built projects (default data/projects.geojson)")
    p.add_argument("--category", action="append", help="only this category (repeatable)")
    p.add_argument("--town", action="append", help="only projects in this town code (repeatable)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("schema", help="the registry's columns")
    p.add_argument("--markdown", action="store_true", help="the table of docs/CONTRACTS.md")
    p.set_defaults(func=cmd_schema)
    from tracking.cli import add_parsers  # users, db: progress tracking (docs/tracking.md)

    add_parsers(sub)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (argparse usage errors give 2)."""
    ap = make_parser()
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:  # argparse: --help -> 0, usage error -> 2
        return int(exc.code or 0)
    return args.func(args)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        raise SystemExit(0) from None
