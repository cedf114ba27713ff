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
        hitBand(drawn[j]);
    }
    // A line (SVG path) answers the mouse only where its stroke is painted: not in the gaps
    // of a dashed schematic line, and a 2 px line is hard to touch. An invisible band 16 px
    // wide follows the line on the map (added and removed with it) and carries the same
    // tooltip and popup. On a shared <canvas> Leaflet's own hit tolerance does this.
    function hitBand(line) {
        if (typeof L === "undefined" || !(line instanceof L.Polyline)
            || line instanceof L.Polygon || line.options.renderer instanceof L.Canvas) {
            return;
        }
        var band = L.polyline(line.getLatLngs(), {
            weight: Math.max(16, (line.options.weight || 2) + 10), opacity: 0,
            className: "gy-hit", interactive: true, bubblingMouseEvents: false
        });
        band.feature = feature;
        band.bindTooltip(tip, {sticky: true});
        band.bindPopup(pop, {maxWidth: 340});
        line.on("add", function () { band.addTo(line._map); });
        line.on("remove", function () { band.remove(); });
    }
}
