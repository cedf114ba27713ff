// Town labels and their chips (class gy-zl) carry data-minzoom (layers.labels): below that
// zoom they would overlap another label, so they are hidden until the map is zoomed in.
// Called with the Leaflet map; idempotent.
function gyTownLabels(map) {
  function update() {
    var z = map.getZoom();
    var els = map.getContainer().querySelectorAll('.gy-zl[data-minzoom]');
    for (var i = 0; i < els.length; i++) {
      var min = parseFloat(els[i].getAttribute('data-minzoom'));
      els[i].classList.toggle('gy-hidden', z + 1e-6 < min);
    }
  }
  if (map.__gyTownLabels) { update(); return; }
  map.__gyTownLabels = true;
  map.on('zoomend layeradd', update);
  map.whenReady(update);
}
