"""Known failures, listed once and in the open (``pytest -rxX`` prints them with their reason).

Each entry is a test that is known to fail, with the failure observed, marked
``xfail(strict=False)``: the suite still runs and reports it. Nothing here is a skip.

The hover/click and cartography e2e tests that were listed here (issue 14) are reliable again:
the map's own centre/zoom reports no longer move the map on the rerun that follows a pan or
zoom (`ui.state.map_view_state`), and a line answers the mouse in the gaps of its dashes
(the invisible hit band of ``layers/js/project_bind.js``).
"""

from __future__ import annotations

import pytest

REASON = "known failure: {}"

#: test node id -> the failure observed (empty: no known failure today)
KNOWN_FAILURES: dict[str, str] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        why = KNOWN_FAILURES.get(item.nodeid)
        if why is not None:
            item.add_marker(pytest.mark.xfail(reason=REASON.format(why), strict=False))
