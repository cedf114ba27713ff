// coordsToLatLng of the project layers: coordinates are integers, 1e-5 degree steps from
// the lookup table's origin o (lon, lat).
function(c) {
    var o = (window.gyT || {o: [0, 0]}).o;
    return L.latLng(o[1] + c[1] / 1e5, o[0] + c[0] / 1e5);
}
