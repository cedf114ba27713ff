"""Suite-wide settings.

Hypothesis: under CI (``CI`` set, as in ``.ci/run``'s environment) the property tests are
derandomized, so a submission's CI run is reproducible; elsewhere each run explores new
examples. ``HYPOTHESIS_PROFILE=ci`` forces the CI behaviour locally.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
