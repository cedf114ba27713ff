// pointToLayer of the town labels: a non-interactive text marker (properties.label was
// HTML-escaped in Python).
function(feature, latlng) {
    var p = feature.properties || {};
    return L.marker(latlng, {interactive: false, keyboard: false,
        icon: L.divIcon({className: 'gy-town-label',
                         html: '<span>' + (p.label || '') + '</span>',
                         iconSize: null})});
}
