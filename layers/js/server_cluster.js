// pointToLayer of the server-side clusters (large mode, layers/inview.py): a count badge;
// a click zooms to the extent of its members (properties.b: [w, s, e, n], integer steps of
// 1e-5 degree from the lookup table's origin), which reruns the app for the new view.
// getChildCount() as Leaflet.markercluster's clusters have it (the benchmark counts them).
function(feature, latlng) {
    var p = feature.properties || {};
    var n = Math.max(0, parseInt(p.n, 10) || 0);
    var size = n < 100 ? 30 : (n < 1000 ? 36 : 42);
    var icon = L.divIcon({className: 'gy-cluster gy-server-cluster',
                          html: '<div style="background:#333333">' + n + '</div>',
                          iconSize: L.point(size, size)});
    var m = L.marker(latlng, {icon: icon, keyboard: false});
    m.getChildCount = function() { return n; };
    m.on('click', function() {
        var o = (window.gyT || {o: [0, 0]}).o, b = p.b, map = m._map;
        if (!map || !b || b.length !== 4) { return; }
        var sw = L.latLng(o[1] + b[1] / 1e5, o[0] + b[0] / 1e5);
        var ne = L.latLng(o[1] + b[3] / 1e5, o[0] + b[2] / 1e5);
        var z = map.getBoundsZoom(L.latLngBounds(sw, ne).pad(0.1));
        map.setView(L.latLngBounds(sw, ne).getCenter(),
                    Math.min(Math.max(z, map.getZoom() + 1), 18));
    });
    return m;
}
