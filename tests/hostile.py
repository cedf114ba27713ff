"""A shared corpus of hostile text payloads and a helper that puts them into registry records.

Used by tests/test_properties.py and tests/test_hostile_files.py, and meant for the app's tests
too (popups, tooltips, tables, downloads): every payload the validator *accepts* must come out
of every renderer escaped (no script runs, no markup is interpreted, no template is evaluated);
every payload it *rejects* must be refused with a message naming the row, record and field.

A page under test can detect a successful injection by checking ``window.__xss`` (every
script-bearing payload here sets it) or the literal ``49`` where ``{{7*7}}`` stood.

Nothing here imports streamlit; the module is plain data plus two helpers.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.registry import EVIDENCE_MAX, FIELDS, MAX_TEXT

#: The JavaScript marker a successful injection sets (``window.__xss === 1``).
XSS_MARKER = "window.__xss"


@dataclass(frozen=True)
class Payload:
    """One hostile string; ``accepted`` says whether the registry validator lets it through
    (then it must render escaped) or rejects it (then with a clear message)."""

    name: str
    text: str
    accepted: bool
    why: str = ""


_LONG = "长" * 1990 + "<script>"  # 1998 chars: accepted (limit is MAX_TEXT)

#: Payloads the validator accepts: they are legitimate text and must be *escaped* on output.
ACCEPTED: tuple[Payload, ...] = (
    Payload("script_tag", "<script>window.__xss=1</script>", True, "plain script element"),
    Payload("script_breakout", "</script><script>window.__xss=1</script>", True,
            "closes an enclosing inline <script> (JSON embedded in HTML)"),
    Payload("img_onerror", '<img src=x onerror="window.__xss=1">', True, "event handler"),
    Payload("img_onerror_unquoted", "<img src=x onerror=window.__xss=1>", True),
    Payload("svg_onload", "<svg onload=window.__xss=1>", True, "SVG event handler"),
    Payload("svg_script", "<svg><script>window.__xss=1</script></svg>", True),
    Payload("iframe_srcdoc", '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>', True),
    Payload("js_url", "javascript:window.__xss=1", True, "javascript: URL if used as a link"),
    Payload("js_url_anchor", '<a href="javascript:window.__xss=1">金利镇</a>', True),
    Payload("js_url_entity", '<a href="jav&#x09;ascript:window.__xss=1">x</a>', True),
    Payload("data_url", '<a href="data:text/html,<script>parent.__xss=1</script>">x</a>', True),
    Payload("attr_breakout_dq", '" onmouseover="window.__xss=1" x="', True,
            "breaks out of a double-quoted attribute"),
    Payload("attr_breakout_sq", "' onmouseover='window.__xss=1' x='", True),
    Payload("style_expression", '<div style="background:url(javascript:window.__xss=1)">', True),
    Payload("jinja_braces", "{{7*7}}", True, "Jinja/Vue/Angular template"),
    Payload("jinja_block", "{% raw %}{{7*7}}{% endraw %}", True),
    Payload("js_template", "${alert(1)}", True, "JS template literal"),
    Payload("backticks", "`${window.__xss=1}`", True, "template string breakout"),
    Payload("js_string_breakout", "'\";`</", True, "quotes and </ that break JS strings"),
    Payload("js_string_breakout2", "';window.__xss=1;//", True),
    Payload("markdown_link", "[click](javascript:window.__xss=1)", True,
            "markdown renderers (st.markdown)"),
    Payload("markdown_html", "**bold** <b onclick=window.__xss=1>x</b>", True),
    Payload("line_separators", "a\u2028b\u2029c", True,
            "U+2028/U+2029 end a JS string literal in pre-ES2019 engines"),
    Payload("html_entities", "&lt;script&gt;window.__xss=1&lt;/script&gt; &amp; &#60;b&#62;", True,
            "must show as typed, not be decoded twice"),
    Payload("zero_width", "金\u200b利\u200d镇\ufeff", True, "zero-width and BOM characters"),
    Payload("lrm_rlm", "\u200e金利镇\u200f", True, "directional marks (not overrides)"),
    Payload("mixed_scripts", "金利 Jinli Ꭻ𝐉ɪɴʟɪ ジンリ 금리 ﻿عربى", True, "mixed scripts"),
    Payload("emoji_astral", "🏗️🚢\U0001f4a5𠀋", True, "astral plane characters"),
    Payload("newlines_tabs", "line1\nline2\r\n\tline3", True,
            "CR/LF/TAB are ordinary text (CSV-quoted)"),
    Payload("csv_formula_dash", "-2+3+cmd|' /C calc'!A0", True,
            "a leading '-' is legitimate text; CSV downloads must still neutralise it"),
    Payload("percent_format", "%s%s%n %(x)s {0} {x!r}", True, "printf/format strings"),
    Payload("json_breakout", '"},"__xss":1,"x":{"', True, "breaks out of a JSON string"),
    Payload("html_comment", "<!-- --><script>window.__xss=1</script><!--", True),
    Payload("cdata", "<![CDATA[<script>window.__xss=1</script>]]>", True),
    Payload("long_accepted", _LONG, True, "just under the length limit"),
)

#: Payloads the validator must reject (with a message naming row, record and field).
REJECTED: tuple[Payload, ...] = (
    Payload("nul", "金利\x00镇", False, "NUL byte"),
    Payload("escape", "\x1b[31mred\x1b[0m", False, "ANSI escape (terminal injection)"),
    Payload("backspace", "abc\x08\x08\x08xyz", False, "backspace hides text in terminals"),
    Payload("del", "abc\x7f", False, "DEL"),
    Payload("c1_control", "abc\x85def\x9b", False, "C1 control characters (NEL, CSI)"),
    Payload("bidi_override", "\u202egpj.exe", False,
            "right-to-left override: displayed text differs from stored text"),
    Payload("bidi_isolate", "金利\u2066镇\u2069", False, "bidi isolates (Trojan Source)"),
    Payload("too_long", "长" * (MAX_TEXT + 1), False, "longer than MAX_TEXT"),
    Payload("huge", "<script>" * 20000, False, "160 000 characters"),
    Payload("csv_formula", "=HYPERLINK(\"http://x\",\"x\")", False,
            "spreadsheet formula injection (CSV injection)"),
    Payload("csv_formula_at", "@SUM(1+1)*cmd|' /C calc'!A0", False),
    Payload("csv_formula_plus", " +cmd|' /C calc'!A0", False),
    Payload("blank_fullwidth", "\u3000 \t", False,
            "only (ideographic) white space: a required field left blank"),
)

PAYLOADS: tuple[Payload, ...] = ACCEPTED + REJECTED

#: Free-text fields of a registry record, i.e. those that accept arbitrary text and are shown
#: to users. ``evidence`` is added only when the payload fits its length limit.
FREE_TEXT_FIELDS: tuple[str, ...] = (
    "title_zh", "title_en", "description", "description_zh", "status_zh", "location_text",
    "notes", "capacity_unit", "coord_source",
)


def valid_record(record_id: str = "hostile-test-record", **changes: str) -> dict[str, str]:
    """A valid registry record (every field of ``geo.registry.FIELDS``), with ``changes``."""
    record = dict.fromkeys(FIELDS, "")
    record.update({
        "id": record_id,
        "title_zh": "测试码头",
        "title_en": "Test berths",
        "description": "A test record.",
        "description_zh": "测试。",
        "category": "port",
        "sector": "transport.water",
        "status": "preparation",
        "status_zh": "推进",
        "status_as_of": "2021-12",
        "plan_ref": "第六章第一节",
        "evidence": "推进4 个5000吨级标准集装箱码头泊位",
        "location_text": "金利镇",
        "towns": "金利镇",
        "geometry_kind": "point",
        "berths": "4",
        "berth_dwt": "5000",
    })
    record.update(changes)
    return record


def hostile_record(payload: str | Payload, record_id: str = "hostile-test-record"
                   ) -> dict[str, str]:
    """A registry record (all FIELDS) with ``payload`` in every free-text field.

    ``evidence`` carries the payload too when it is at most ``EVIDENCE_MAX`` characters. The
    record is valid (no problems from ``validate_records`` without plan text) exactly when the
    payload is one the validator accepts. Do not pass ``plan_text`` to the validator: the
    payload is of course not a verbatim phrase of the plan.
    """
    text = payload.text if isinstance(payload, Payload) else payload
    changes = dict.fromkeys(FREE_TEXT_FIELDS, text)
    if len(text) <= EVIDENCE_MAX:
        changes["evidence"] = text
    return valid_record(record_id, **changes)


def payload_ids() -> list[str]:
    """Names of all payloads (pytest ``ids=``)."""
    return [p.name for p in PAYLOADS]
