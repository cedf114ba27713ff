// Moves the element cfg.id into the map's container and keeps clicks and wheel events on it
// from reaching the map.
(function(map, cfg) {
    var el = document.getElementById(cfg.id);
    if (el && map && map.getContainer) {
        map.getContainer().appendChild(el);
        L.DomEvent.disableClickPropagation(el);
        L.DomEvent.disableScrollPropagation(el);
    }
})
