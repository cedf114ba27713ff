// An element in the map's container (cfg.html: one element, already escaped HTML, with id
// cfg.id: the modelled-outline note, or the kiosk's legend) as a Leaflet layer of its group:
// it appears and disappears with the group, so its text can follow the UI language and the
// filters without rebuilding (remounting) the base map.
(function(group, cfg) {
    var Note = L.Layer.extend({
        onAdd: function(map) {
            var old = document.getElementById(cfg.id);
            if (old) { L.DomUtil.remove(old); }
            var box = document.createElement("div");
            box.innerHTML = cfg.html;
            var el = box.firstElementChild || box;
            el.id = cfg.id;
            map.getContainer().appendChild(el);
            L.DomEvent.disableClickPropagation(el);
            L.DomEvent.disableScrollPropagation(el);
            this._el = el;
        },
        onRemove: function() {
            if (this._el) { L.DomUtil.remove(this._el); }
        }
    });
    group.addLayer(new Note());
})
