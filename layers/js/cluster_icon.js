// iconCreateFunction of a category's marker cluster; cfg.color is the category colour.
(function(cfg) {
    return function(cluster) {
        var div = '<div style="background:' + cfg.color + '">' + cluster.getChildCount()
            + '</div>';
        return L.divIcon({html: div, className: 'gy-cluster', iconSize: L.point(28, 28)});
    };
})(/*CONFIG*/)
