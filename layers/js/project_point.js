// pointToLayer of the project layers: the group's symbol (an SVG built in Python from
// validated colours and fixed shapes, layers.symbols) as a marker icon, styled from the
// render's lookup table; a circle marker when a style has no symbol.
function(feature, latlng) {
    var p = feature.properties || {};
    var st = ((window.gyT || {y: {}}).y[p.s]) || {};
    if (st.html) {
        return L.marker(latlng, {keyboard: false, riseOnHover: true,
            icon: L.divIcon({className: 'gy-sym ' + (st.className || ''), html: st.html, iconSize: [22, 22],
                             iconAnchor: [11, 11], tooltipAnchor: [0, -8],
                             popupAnchor: [0, -8]})});
    }
    return L.circleMarker(latlng, st);
}
