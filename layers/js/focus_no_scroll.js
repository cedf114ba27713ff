// Leaflet's keyboard handler focuses the map on mousedown (for arrow-key panning). Focusing an
// element scrolls it into view: when the map's frame reaches below the bottom of the window,
// the whole page jumps between the press and the release of the button, and the click lands
// beside the marker or line that was pressed (no popup). Focus without scrolling instead.
(function(map) {
    var kb = map.keyboard, box = map.getContainer();
    if (!kb || !kb._onMouseDown) { return; }
    L.DomEvent.off(box, "mousedown", kb._onMouseDown, kb);
    L.DomEvent.on(box, "mousedown", function() {
        if (!this._focused) { box.focus({preventScroll: true}); }
    }, kb);
})
