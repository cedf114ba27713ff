// A note in the map's corner (class "gy-legend gy-mapnote", id cfg.id) as a Leaflet layer of
// its group: it appears and disappears with the group, so the text can follow the UI
// language without rebuilding the base map. cfg.html is already escaped HTML.
(function(group, cfg) {
    var Note = L.Layer.extend({
        onAdd: function(map) {
            var old = document.getElementById(cfg.id);
            if (old) { L.DomUtil.remove(old); }
            var el = L.DomUtil.create("div", "gy-legend gy-mapnote");
            el.id = cfg.id;
            el.innerHTML = cfg.html;
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
