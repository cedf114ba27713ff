"""Suite-wide settings.

Hypothesis: under CI (``CI`` set, as in ``.ci/run``'s environment) the property tests are
derandomized, so a submission's CI run is reproducible; elsewhere each run explores new
examples. ``HYPOTHESIS_PROFILE=ci`` forces the CI behaviour locally.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import settings
from streamlit.testing.v1 import AppTest

from tests.fixtures.app_support import FIXTURES, ROOT

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """``app(**query_params)`` -> an AppTest of streamlit_app.py run on the fixture data, with
    the kiosk switch, tile key and official-towns file cleared from the environment."""
    monkeypatch.setenv("GAOYAO_DATA_DIR", str(FIXTURES))
    for name in ("GAOYAO_KIOSK", "TIANDITU_KEY", "GAOYAO_OFFICIAL_TOWNS"):
        monkeypatch.delenv(name, raising=False)

    def make(**params: object) -> AppTest:
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
        for k, v in params.items():
            at.query_params[k] = v
        return at.run()

    return make
