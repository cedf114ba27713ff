"""Map layers kept across runs of the map fragment (issue 13): frozen as a pickle, thawed
into fresh objects for each st_folium call.

st_folium renames the elements it renders (``_id`` = ``feature_group_<i>_<j>``) and folium
adds children while rendering (each layer's ``<name>_add``), so a layer object rendered once
refers to names that no longer exist when rendered again (the browser then fails with
"geo_json_... is not defined"). A pickle of the layers taken before their first render,
loaded for each render, gives st_folium pristine layers every time: the same JavaScript, so
the browser keeps what it drew. (~3 ms each way for 200 kB; only the app's own objects,
held in the session, are ever unpickled.)"""

from __future__ import annotations

import pickle
from typing import Any


class Frozen:
    """`value` as it was when frozen; `thawed()` returns a fresh copy each time."""

    __slots__ = ("_bytes",)

    def __init__(self, value: Any) -> None:
        self._bytes = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def thawed(self) -> Any:
        return pickle.loads(self._bytes)  # the app's own objects (never input)

    def __len__(self) -> int:
        return len(self._bytes)
