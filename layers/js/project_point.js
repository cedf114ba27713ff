// pointToLayer of the project layers: a circle marker styled from the render's lookup table.
function(feature, latlng) {
    var p = feature.properties || {};
    return L.circleMarker(latlng, ((window.gyT || {y: {}}).y[p.s]) || {});
}
