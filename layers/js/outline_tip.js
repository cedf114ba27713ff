// onEachFeature of the district/river outlines: the tooltip is an HTML string escaped in
// Python (properties.tip).
function(feature, layer) {
    var p = feature.properties || {};
    if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }
    if (p.pop) { layer.bindPopup(p.pop, {maxWidth: 340}); }
}
