// onEachFeature of the project layers. Project features are compact (layers.payload): the
// tooltip and popup are assembled only when opened, by concatenating strings that were all
// HTML-escaped in Python (p.h: escaped titles/id, p.k: the row labels (a list of gyT.k),
// p.v: the row values; numbers refer to escaped strings in window.gyT.s). No data value is
// pasted into JavaScript source, and JS never escapes or unescapes anything.
function(feature, layer) {
    var p = feature.properties || {};
    if (!p.h) { return; }
    function S(x) {
        return typeof x === "number" ? ((window.gyT || {s: {}}).s[x] || "") : (x || "");
    }
    function tip() {
        return "<b>" + (p.a ? "\u2248 " : "") + p.h[0] + "</b><br>" + S(p.t);
    }
    function pop() {
        var rows = "", K = (window.gyT || {k: {}}).k[p.k] || [];
        for (var i = 0; i < K.length && i < p.v.length; i++) {
            rows += "<tr><th>" + S(K[i]) + "</th><td>" + S(p.v[i]) + "</td></tr>";
        }
        return '<div class="gy-pop"><b>' + p.h[0] + "</b>"
            + (p.h[1] ? "<br><i>" + p.h[1] + "</i>" : "") + "<table>" + rows
            + "</table><small>" + (p.h.length > 2 ? p.h[2] : p.pid) + "</small></div>";
    }
    // A MultiPoint is a group of markers; a marker cluster keeps only those markers (the
    // group never reaches the map), so each drawn marker carries the tooltip and popup.
    var drawn = layer.getLayers ? layer.getLayers() : [layer];
    for (var j = 0; j < drawn.length; j++) {
        if (drawn[j] !== layer) { drawn[j].feature = feature; }
        drawn[j].bindTooltip(tip, {sticky: true});
        drawn[j].bindPopup(pop, {maxWidth: 340});
    }
}
