# The two commands a newcomer needs are `make run` and `make test` (see README).
PY ?= python3
PIP ?= $(PY) -m pip
PORT ?= 8501

.PHONY: install install-dev browser assets run test test-fast lint typecheck data build bench bench-tracking

install:            ## runtime dependencies
	$(PIP) install -q -r requirements.txt

install-dev:        ## runtime + test dependencies
	$(PIP) install -q -r requirements-dev.txt

SYSTEM_PKGS = chromium fonts-wqy-microhei poppler-utils nginx-light postgresql postgresql-15-postgis-3

browser:            ## Debian packages for the tests: Chromium (Playwright never downloads one), a CJK font, nginx (deploy test), PostgreSQL + PostGIS (tests/tracking)
	@dpkg -s $(SYSTEM_PKGS) >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PKGS))

assets:             ## copy Leaflet & co. from the installed XStatic packages into static/vendor
	$(PY) -m layers.assets

run: install assets ## start the app on the committed data (works offline)
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT)

lint:
	$(PY) -m ruff check .

# geo/ is clean under mypy; layers/ is not yet (then: $(PY) -m mypy geo layers)
typecheck:          ## static types of the library (config: [tool.mypy] in pyproject.toml)
	$(PY) -m mypy geo

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
