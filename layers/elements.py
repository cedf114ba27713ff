"""Folium/branca elements the map needs, each overriding only its own rendering.

* `RawScript` -- already rendered text, added to the page as it is (never compiled as a
  Jinja template again, which branca does to every rendered script, header and html part);
* `TextGeoJson` -- folium.GeoJson whose script goes to the page as text and whose data are
  serialised compactly (`CompactJSON`) by a private copy of folium's template;
* `HtmlOverlay` -- already escaped HTML moved into the map's container (the legend);
* `FocusWithoutScroll` -- the map takes the focus on a press without scrolling the page;
* `MapNote` -- an element of already escaped HTML in the map as a layer of its feature group;
* `LookupTable` -- the ``window.gyT`` table the compact project features refer to.

Nothing here changes folium's or branca's shared template environment: the compact JSON
policy lives in a private environment used only by `TextGeoJson`'s template copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import ElementAddToElement
from folium.utilities import get_obj_in_upper_tree
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps

from layers.scripts import js_source


class CompactJSON(dict):
    """A GeoJSON dict that `TextGeoJson` writes without spaces and with non-ASCII text as
    UTF-8 (``<``, ``>``, ``&``, ``'`` are still \\u escapes, so it stays script-safe)."""


#: a "{" that starts a Jinja tag; in JSON text it can only occur inside a string
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def compact_dumps(obj: object, **kwargs: Any) -> str:
    """JSON of `obj` for a page: `CompactJSON` without spaces and with UTF-8 text; for every
    object, a ``{`` that would open a Jinja tag (``{{``, ``{%``, ``{#``) inside a string is
    written as ``\\u007b`` (same JSON value), so a text like ``{{ 7*7 }}`` can never be
    evaluated by Jinja on the server, whatever renders the page afterwards."""
    if isinstance(obj, CompactJSON):
        kwargs = {**kwargs, "separators": (",", ":"), "ensure_ascii": False}
    return _JINJA_OPEN.sub(r"\\u007b", json.dumps(obj, **kwargs))


def _private_template(template: Template, policies: Mapping[str, object]) -> Template:
    """A copy of a compiled `template` rendering in an overlay of its environment whose
    policies are updated with `policies`; the original template and environment are left
    exactly as they were (the compiled code is shared, read-only)."""
    env = template.environment.overlay()
    env.policies = {**template.environment.policies, **policies}
    copy = object.__new__(type(template))
    copy.__dict__.update(template.__dict__)
    copy.environment = env
    copy._module = None  # the cached module belongs to the original environment
    return copy


def figure_of(element: Element) -> Figure:
    """The Figure (page) `element` belongs to."""
    root = element.get_root()
    if not isinstance(root, Figure):
        raise TypeError("element is not in a Figure")
    return root


def parent_name(element: Element) -> str:
    """The JavaScript variable name of `element`'s parent."""
    if element._parent is None:
        raise TypeError("element has no parent")
    return str(element._parent.get_name())


class RawScript(Element):
    """Already rendered text, added to the page as it is (never compiled as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: object) -> str:
        return self._text


class TextGeoJson(folium.GeoJson):
    """folium.GeoJson whose rendered script goes to the page as text: branca would compile
    it as a Jinja template (about 0.1 s per MB of data in every rerun, and ``{{ ... }}`` in a
    text would be evaluated when the whole page is rendered). Its template is a private copy
    of folium's whose ``tojson`` is `compact_dumps`. Only the ``script`` macro is used (no
    style function, popup or tooltip children)."""

    _template = _private_template(folium.GeoJson._template,
                                  {"json.dumps_function": compact_dumps})

    def render(self, **kwargs: object) -> None:  # type: ignore[override]
        self.parent_map = cast(Any, get_obj_in_upper_tree(self, folium.Map))
        if self.show:  # as folium.map.Layer.render: "<this>.addTo(<parent>);"
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=parent_name(self)),
                           name=self.get_name() + "_add")
        script = self._template.module.__dict__["script"]
        figure_of(self).script.add_child(RawScript(script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


#: the script of an element whose ``script()`` method returns it (streamlit-folium renders
#: each element's ``script`` macro itself)
_SCRIPT_METHOD = Template("{% macro script(this, kwargs) %}{{ this.script() }}{% endmacro %}")


class HtmlOverlay(MacroElement):
    """Adds already escaped HTML (and its CSS) to the map's container; header, html and script
    go to the page as text (`RawScript`), never compiled as templates."""

    _template = _SCRIPT_METHOD

    def __init__(self, html: str, css: str, dom_id: str) -> None:
        super().__init__()
        self._name = "HtmlOverlay"
        self.html = html
        self.css = css
        self.dom_id = dom_id

    def script(self) -> str:
        config = htmlsafe_json_dumps({"id": self.dom_id})
        return f"({js_source('html_overlay')})({parent_name(self)}, {config});"

    def render(self, **kwargs: object) -> None:  # type: ignore[override]
        figure = figure_of(self)
        figure.header.add_child(RawScript(f"<style>\n{self.css}\n</style>"),
                                name=self.get_name())
        figure.html.add_child(RawScript(self.html), name=self.get_name())
        figure.script.add_child(RawScript(self.script()), name=self.get_name())


class MapNote(MacroElement):
    """One element of already escaped HTML (`html`; it gets the id `dom_id`) in the map's
    container (``layers/js/map_note.js``), as a layer of the feature group it is added to: it
    comes and goes with the group, so its text can follow the UI language and the filters while
    the base map stays the same (no remount of the map)."""

    _template = _SCRIPT_METHOD

    def __init__(self, html: str, dom_id: str) -> None:
        super().__init__()
        self._name = "MapNote"
        self.html = html
        self.dom_id = dom_id

    def script(self) -> str:
        config = str(htmlsafe_json_dumps({"id": self.dom_id, "html": self.html},
                                         dumps=compact_dumps))
        return f"({js_source('map_note')})({parent_name(self)}, {config});"

    def render(self, **kwargs: object) -> None:  # type: ignore[override]
        figure_of(self).script.add_child(RawScript(self.script()), name=self.get_name())


class FocusWithoutScroll(MacroElement):
    """Makes the map (its parent) take the keyboard focus on a press without scrolling the page
    (``layers/js/focus_no_scroll.js``): Leaflet's own focus scrolls a map that reaches below the
    window, so a click could miss what was pressed."""

    _template = _SCRIPT_METHOD

    def __init__(self) -> None:
        super().__init__()
        self._name = "FocusWithoutScroll"

    def script(self) -> str:
        return f"({js_source('focus_no_scroll')})({parent_name(self)});"

    def render(self, **kwargs: object) -> None:  # type: ignore[override]
        figure_of(self).script.add_child(RawScript(self.script()), name=self.get_name())


class LookupTable(MacroElement):
    """Sets ``window.gyT`` (the strings, styles, row labels and coordinate origin the project
    features of this render refer to) before the project layers are added. The table is JSON
    with ``<``, ``>``, ``&``, ``'`` and Jinja-opening ``{`` as \\u escapes (`compact_dumps`),
    so nothing can close the script or be evaluated as a template; the script goes to the page
    as text (`RawScript`)."""

    _template = _SCRIPT_METHOD

    def __init__(self, strings: dict[str, str], styles: dict[str, dict],
                 keys: dict[str, list[int]], origin: Sequence[int]) -> None:
        super().__init__()
        self._name = "Lookup"
        self.table: dict[str, Any] = {"s": strings, "y": styles, "k": keys,
                                      "o": list(origin)}

    def script(self) -> str:
        data = str(htmlsafe_json_dumps(self.table, dumps=compact_dumps, sort_keys=True))
        return f"window.gyT = {data};"

    def render(self, **kwargs: object) -> None:  # type: ignore[override]
        figure_of(self).script.add_child(RawScript(self.script()), name=self.get_name())
