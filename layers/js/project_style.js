// style of the project lines and areas: properties.s indexes the render's lookup table.
function(feature) {
    return ((window.gyT || {y: {}}).y[(feature.properties || {}).s]) || {};
}
