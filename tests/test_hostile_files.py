"""Broken and hostile files: every one is refused with a message naming the file (and the
record and field where there is one), never a raw exception, and a refused or interrupted build
leaves each previous output complete (old or new version, never a mix or a truncated file).

Files are written into pytest's tmp_path; the committed data is only read.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from geo import __main__ as cli
from geo import atomic
from geo.atomic import write_atomically
from geo.boundaries import BoundaryError, load_district, load_river, load_towns
from geo.build import BuildError, build, load_context
from geo.gazetteer import GazetteerError, load_gazetteer
from geo.paths import DATA_DIR, REPO_ROOT
from geo.registry import FIELDS, RegistryError, read_records, validate_records
from tests.hostile import ACCEPTED, hostile_record, valid_record

DATA = DATA_DIR
PROJECTS = DATA / "projects.csv"


@pytest.fixture(scope="module")
def ctx():
    return load_context()


def write_csv(path: Path, records: list[dict], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(records)
    return path


def snapshot(out: Path, layers: Path) -> dict[str, bytes]:
    """Every file (visible or hidden) of the output locations, by name."""
    files = {out.name: out.read_bytes()} if out.exists() else {}
    if layers.is_dir():
        files.update({f"layers/{p.name}": p.read_bytes() for p in layers.iterdir()})
    return files


@pytest.fixture(scope="module")
def old_outputs(tmp_path_factory, ctx):
    """A complete build of the committed registry: the 'previous outputs'."""
    d = tmp_path_factory.mktemp("old")
    build(PROJECTS, d / "projects.geojson", d / "layers", ctx=ctx)
    return snapshot(d / "projects.geojson", d / "layers")


def install(files: dict[str, bytes], root: Path) -> tuple[Path, Path]:
    out, layers = root / "projects.geojson", root / "layers"
    if layers.exists():
        shutil.rmtree(layers)
    layers.mkdir(parents=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return out, layers


# ------------------------------------------------------------------------------------------
# the registry CSV
# ------------------------------------------------------------------------------------------
def test_bom_csv_reads_like_plain(tmp_path):
    plain = read_records(PROJECTS)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + PROJECTS.read_bytes())
    assert read_records(bom) == plain
    assert plain[0]["id"] == "agri-nanyao-industrial-park"  # no BOM glued to the first column


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "utf-16-le"])
def test_wrong_encoding_is_refused_naming_the_file(tmp_path, encoding):
    path = write_csv(tmp_path / f"{encoding}.csv", [valid_record()], encoding=encoding)
    with pytest.raises(RegistryError) as exc:
        read_records(path)
    assert str(path) in str(exc.value) and "UTF-8" in str(exc.value)


@pytest.mark.parametrize("content, words", [
    (b"", "empty file"),
    (b"id,title_zh,id\nx,y,z\n", "more than once"),
    ("id,title_zh\n\"port-a,未闭合的引号\n".encode(), "not a valid CSV"),
    (b"id,title_zh\nport-a,x,extra\n", "more cells than the header"),
    (b"id,title_zh\nport-a," + "长".encode()[:2], "UTF-8"),  # cut inside a character
])
def test_broken_csv_is_refused_naming_the_file(tmp_path, content, words):
    path = tmp_path / "projects.csv"
    path.write_bytes(content)
    with pytest.raises(RegistryError) as exc:
        read_records(path)
    assert str(path) in str(exc.value) and words in str(exc.value)


def test_directory_and_missing_file_are_refused(tmp_path):
    for path, words in ((tmp_path, "is a directory"), (tmp_path / "nope.csv", "not found")):
        with pytest.raises(RegistryError) as exc:
            read_records(path)
        assert str(path) in str(exc.value) and words in str(exc.value)


def test_truncated_csv_at_every_line_reads_or_names_the_problem(tmp_path):
    raw = PROJECTS.read_bytes()
    path = tmp_path / "projects.csv"
    for cut in range(0, len(raw), max(1, len(raw) // 97)):
        path.write_bytes(raw[:cut])
        try:
            records = read_records(path)
        except RegistryError as exc:
            assert str(path) in str(exc)
            continue
        for p in validate_records(records):  # a cut record is named by row, id and field
            assert p.field in FIELDS and p.row >= 2


def test_csv_field_over_the_csv_module_limit_is_refused(tmp_path):
    path = write_csv(tmp_path / "huge.csv", [valid_record(notes="x" * 200_000)])
    with pytest.raises(RegistryError) as exc:
        read_records(path)
    assert str(path) in str(exc.value)


def test_hostile_csv_round_trips_and_validates(tmp_path):
    records = [hostile_record(p, f"port-hostile-{i:02d}") for i, p in enumerate(ACCEPTED)]
    path = write_csv(tmp_path / "hostile.csv", records)
    assert read_records(path) == records
    assert validate_records(read_records(path)) == []


# ------------------------------------------------------------------------------------------
# the build refuses bad input and leaves the previous outputs intact
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["gbk", "utf16", "truncated", "empty", "directory", "invalid",
                                  "control", "gcj"])
def test_refused_build_leaves_outputs_intact(tmp_path, ctx, old_outputs, case, capsys):
    out, layers = install(old_outputs, tmp_path / "out")
    src = tmp_path / "projects.csv"
    good = [valid_record(), valid_record("port-second")]
    if case == "gbk":
        write_csv(src, good, encoding="gbk")
    elif case == "utf16":
        write_csv(src, good, encoding="utf-16")
    elif case == "truncated":
        src.write_bytes(PROJECTS.read_bytes()[:5000] + b'"unterminated')
    elif case == "empty":
        src.write_bytes(b"")
    elif case == "directory":
        src.mkdir()
    elif case == "invalid":
        write_csv(src, [*good, valid_record("port-second", lon="23.05", lat="112.45",
                                            coord_source="GPS")])
    elif case == "control":
        write_csv(src, [valid_record(title_en="Berths\x1b[2J")])
    elif case == "gcj":
        write_csv(src, [valid_record(lon="112.46", lat="23.03", coord_source="高德地图")])
    with pytest.raises((RegistryError, BuildError)) as exc:
        build(src, out, layers, ctx=ctx)
    message = str(exc.value)
    assert str(src) in message
    if case == "invalid":
        assert "record port-second, field 'id'" in message and "duplicate" in message
        assert "field 'lat'" in message and "swapped" in message
    if case == "control":
        assert "record hostile-test-record, field 'title_en'" in message and "U+001B" in message
    if case == "gcj":
        assert "field 'coord_source'" in message and "gcj02_to_wgs84" in message
    assert snapshot(out, layers) == old_outputs
    # the CLI prints the same message, no traceback, exit code 1
    code = cli.main(["build", "--projects", str(src), "--out", str(out), "--layers-dir",
                     str(layers), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and "Traceback" not in err
    assert snapshot(out, layers) == old_outputs


def test_out_path_that_is_a_directory_is_refused(tmp_path, ctx):
    (tmp_path / "out.geojson").mkdir()
    with pytest.raises(BuildError) as exc:
        build(PROJECTS, tmp_path / "out.geojson", tmp_path / "layers", ctx=ctx)
    assert "out.geojson" in str(exc.value) and "directory" in str(exc.value)
    assert not (tmp_path / "layers").exists()


def test_failure_while_moving_leaves_each_output_old_or_new(tmp_path, ctx, old_outputs,
                                                            monkeypatch):
    """Simulated crash between two os.replace calls: every file is still complete."""
    out, layers = install(old_outputs, tmp_path / "out")
    calls = {"n": 0}
    real_replace = os.replace

    def flaky_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", flaky_replace)
    new_src = revised_registry(tmp_path)
    with pytest.raises(BuildError) as exc:
        build(new_src, out, layers, ctx=ctx)
    assert "No space left on device" in str(exc.value)
    monkeypatch.undo()
    new_dir = tmp_path / "new"
    build(new_src, new_dir / "projects.geojson", new_dir / "layers", ctx=ctx)
    new_outputs = snapshot(new_dir / "projects.geojson", new_dir / "layers")
    now = snapshot(out, layers)
    assert set(now) == set(old_outputs)  # no temp file left behind
    replaced = [name for name in now if now[name] == new_outputs[name] != old_outputs[name]]
    kept = [name for name in now if now[name] == old_outputs[name]]
    assert len(replaced) == 2 and len(replaced) + len(kept) == len(now)


def test_failure_while_writing_temps_touches_nothing(tmp_path):
    target = tmp_path / "a.geojson"
    target.write_text("old")

    outputs = {target: "new", tmp_path / "b.geojson": 5}  # the int fails inside fh.write
    with pytest.raises(TypeError):
        write_atomically(outputs)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.geojson"]


def revised_registry(tmp_path: Path) -> Path:
    """The committed registry with every record's notes changed: every output differs."""
    records = read_records(PROJECTS)
    for r in records:
        r["notes"] = (r["notes"] + " (revised)").strip()
    return write_csv(tmp_path / "revised.csv", records)


# ------------------------------------------------------------------------------------------
# interrupting a real build (SIGKILL at different moments)
# ------------------------------------------------------------------------------------------
def test_killed_build_leaves_complete_old_or_new_outputs(tmp_path, ctx, old_outputs):
    new_src = revised_registry(tmp_path)
    new_dir = tmp_path / "new"
    build(new_src, new_dir / "projects.geojson", new_dir / "layers", ctx=ctx)
    new_outputs = snapshot(new_dir / "projects.geojson", new_dir / "layers")
    assert set(new_outputs) == set(old_outputs)
    assert all(new_outputs[n] != old_outputs[n] for n in old_outputs)

    root = tmp_path / "run"
    cmd = [sys.executable, "-m", "geo", "build", "--projects", str(new_src),
           "--out", str(root / "projects.geojson"), "--layers-dir", str(root / "layers")]
    # kill at progress milestones the build prints on stderr, plus a delay: before anything is
    # written, and at several moments of the write phase (temp files, fsync, os.replace)
    moments = [("reading", 0.0), ("geocoded", 0.0), ("joining", 0.0), ("writing", 0.0),
               ("writing", 0.002), ("writing", 0.005), ("writing", 0.01), ("writing", 0.02),
               ("writing", 0.025), ("writing", 0.03), ("writing", 0.035), ("writing", 0.3)]
    outcomes = []
    for stage, delay in moments:
        out, layers = install(old_outputs, root)
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        seen = False
        for line in proc.stderr:  # type: ignore[union-attr]
            if line.startswith(stage):
                seen = True
                break
        assert seen, f"the build no longer prints a {stage!r} progress line"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
        now = snapshot(out, layers)
        visible = {n for n in now if not Path(n).name.startswith(".")}
        hidden = set(now) - visible
        assert visible == set(old_outputs), (stage, delay)
        for name in hidden:  # a killed build may leave its own hidden temp file, nothing else
            assert name.endswith(".tmp") and Path(name).name.startswith(".")
        for name in visible:
            assert now[name] in (old_outputs[name], new_outputs[name]), (stage, delay, name)
            json.loads(now[name])
        outcomes.append((stage, delay, sum(now[n] == new_outputs[n] for n in visible),
                         len(hidden)))
    assert outcomes[0][2] == 0  # killed while reading: nothing replaced
    # the next build completes and every output is the new version
    out, layers = install(snapshot(out, layers), root)
    subprocess.run([*cmd, "--quiet"], cwd=REPO_ROOT, check=True, capture_output=True)
    assert {n: b for n, b in snapshot(out, layers).items() if not n.split("/")[-1]
            .startswith(".")} == new_outputs
    print("(stage, delay s, files already new, hidden temps) per kill:", outcomes)


def test_stale_temp_files_are_removed_by_the_next_build(tmp_path, ctx, old_outputs):
    out, layers = install(old_outputs, tmp_path / "out")
    old_tmp = [out.parent / ".projects.geojson.abc123.tmp", layers / ".port.geojson.x1.tmp"]
    fresh = layers / ".road.geojson.zz9.tmp"  # a concurrent build's: too young to remove
    unrelated = layers / ".keep.tmp"
    for p in (*old_tmp, fresh, unrelated):
        p.write_text("partial {")
    long_ago = time.time() - 3600
    for p in (*old_tmp, unrelated):
        os.utime(p, (long_ago, long_ago))
    build(PROJECTS, out, layers, ctx=ctx)
    assert not any(p.exists() for p in old_tmp)
    assert fresh.exists() and unrelated.exists()
    assert snapshot(out, layers).keys() == old_outputs.keys() | {
        "layers/.road.geojson.zz9.tmp", "layers/.keep.tmp"}


# ------------------------------------------------------------------------------------------
# boundaries, gazetteer and the built GeoJSON
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [
    b"", b"{", b'{"type":"FeatureCollection","features":[]}', b"\xff\xfe\x00junk",
    b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
    b'"geometry":{"type":"Point","coordinates":[112.4,23.0]}}]}',
], ids=["empty", "truncated", "no-features", "binary", "point-not-polygon"])
def test_broken_district_file_raises_boundary_error_naming_it(tmp_path, content):
    path = tmp_path / "district.geojson"
    path.write_bytes(content)
    with pytest.raises(BoundaryError) as exc:
        load_district(path)
    assert str(path) in str(exc.value)


def test_truncated_boundary_files_and_directories(tmp_path):
    for name, loader in (("district.geojson", load_district), ("xijiang.geojson", load_river),
                         ("towns.geojson", load_towns)):
        raw = (DATA / "boundaries" / name).read_bytes()
        path = tmp_path / name
        path.write_bytes(raw[: len(raw) // 2])
        with pytest.raises(BoundaryError) as exc:
            loader(path)
        assert str(path) in str(exc.value)
        folder = tmp_path / f"dir-{name}"
        folder.mkdir()
        with pytest.raises(BoundaryError) as exc:
            loader(folder)
        assert str(folder) in str(exc.value)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_official_towns_without_crs_are_refused_naming_the_file(tmp_path, monkeypatch, ctx):
    towns = ctx.towns[["code", "name_zh", "geometry"]].copy()
    shp = tmp_path / "towns.shp"
    gpd.GeoDataFrame(towns.drop(columns="geometry"), geometry=list(towns.geometry),
                     crs=None).to_file(shp)
    assert not shp.with_suffix(".prj").exists()
    monkeypatch.setenv("GAOYAO_OFFICIAL_TOWNS", str(shp))
    with pytest.raises(BoundaryError) as exc:
        load_towns()
    assert str(shp) in str(exc.value) and "no CRS" in str(exc.value)
    # the build reports it as a BuildError naming the file, writes nothing
    with pytest.raises(BuildError) as exc:
        build(PROJECTS, tmp_path / "p.geojson", tmp_path / "layers")
    assert str(shp) in str(exc.value)
    assert not (tmp_path / "p.geojson").exists()


def test_official_towns_with_a_foreign_feature_name_it(tmp_path, monkeypatch, ctx):
    towns = ctx.towns[["code", "name_zh", "geometry"]].copy()
    extra = gpd.GeoDataFrame({"code": ["440000000"], "name_zh": ["<script>x</script>镇"]},
                             geometry=[Polygon([(112, 23), (112.1, 23), (112.1, 23.1)])],
                             crs="EPSG:4326")
    path = tmp_path / "towns.geojson"
    gpd.pd.concat([towns, extra], ignore_index=True).pipe(gpd.GeoDataFrame, crs="EPSG:4326"
                                                          ).to_file(path)
    monkeypatch.setenv("GAOYAO_OFFICIAL_TOWNS", str(path))
    with pytest.raises(BoundaryError) as exc:
        load_towns()
    assert str(path) in str(exc.value) and "matches none of the 17 units" in str(exc.value)


@pytest.mark.parametrize("content", [b"", b"id,name_zh\n", "编号".encode("gbk"),
                                     b"\xff\xfei\x00d\x00"], ids=["empty", "columns", "gbk",
                                                                   "utf16"])
def test_broken_gazetteer_raises_gazetteer_error_naming_it(tmp_path, content):
    path = tmp_path / "gazetteer.csv"
    path.write_bytes(content)
    with pytest.raises(GazetteerError) as exc:
        load_gazetteer(path)
    assert str(path) in str(exc.value)
    with pytest.raises(GazetteerError) as exc:
        load_gazetteer(tmp_path)
    assert str(tmp_path) in str(exc.value)


@pytest.mark.parametrize("content", [b"", b'{"type":"FeatureCollection","features":[',
                                     b'{"features":{}}', b'{"features":[{}]}',
                                     b'{"features":[{"properties":{"id":"x"}}]}', b"[]"],
                         ids=["empty", "truncated", "not-list", "empty-feature",
                              "partial-feature", "array"])
def test_oc4ids_export_of_a_broken_built_file_names_it(tmp_path, monkeypatch, capsys, content):
    from geo import oc4ids

    built = tmp_path / "projects.geojson"
    built.write_bytes(content)
    monkeypatch.setattr(oc4ids, "DEFAULT_BUILT", built)
    out = tmp_path / "oc4ids.json"
    assert cli.main(["export", "--oc4ids", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(built) in err
    assert not out.exists()
