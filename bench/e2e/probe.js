// Injected into every frame before any page script (Playwright add_init_script).
// Records, on the top window's `__gy`, every Leaflet map created in any same-origin frame
// and, per map, the project features and marker clusters it holds, the time of the first paint
// after project features were added (`first`) and of the last paint after a change (`painted`);
// also uncaught errors of every frame and the time of the last user input (keydown/mousedown).
// Times are absolute epoch milliseconds (performance.timeOrigin + performance.now()), so the
// frames' clocks compare with the top page's navigation start (`nav`).
(() => {
  const T = () => performance.timeOrigin + performance.now();
  let top = window;
  try { if (window.top && window.top.document) { top = window.top; } } catch (e) { top = window; }
  if (window === top) {
    const gy = {nav: performance.timeOrigin, maps: [], errors: [], input: 0};
    window.__gy = gy;
    const mark = () => { gy.input = T(); };
    window.addEventListener("keydown", mark, true);
    window.addEventListener("mousedown", mark, true);
  }
  const G = () => top.__gy || (top.__gy = {nav: 0, maps: [], errors: [], input: 0});
  const err = (msg) => { try { G().errors.push(String(msg).slice(0, 300)); } catch (e) { /**/ } };
  window.addEventListener("error", (e) => err((e.message || "error")
    + (e.filename ? " @ " + e.filename.split("/").pop() + ":" + e.lineno : "")));
  window.addEventListener("unhandledrejection", (e) => err("unhandled rejection: "
    + ((e.reason && e.reason.message) || e.reason)));
  // a project feature: a leaf layer (path or marker) of a GeoJSON feature with a project id
  // (the app: pid, the baselines: id), or a part of one (a MultiPoint's circle markers belong
  // to a group that carries the feature); a cluster: Leaflet.markercluster's cluster marker
  const projectOf = (l) => {
    const p = l && l.feature && l.feature.properties;
    return !!p && (p.pid !== undefined || p.id !== undefined);
  };
  // the app's invisible hit band along a line (className gy-hit, layers/js/project_bind.js)
  // carries the line's feature for its tooltip and popup but draws nothing: not a part
  const isProject = (l) => {
    if (!l || typeof l.getLayers === "function") { return false; }
    if (l.options && l.options.className === "gy-hit") { return false; }
    if (projectOf(l)) { return true; }
    for (const k in (l._eventParents || {})) {
      if (projectOf(l._eventParents[k])) { return true; }
    }
    return false;
  };
  const isCluster = (l) => !!l && typeof l.getChildCount === "function";
  function hook(L) {
    if (!L || !L.Map || L.__gyHooked) { return; }
    L.__gyHooked = true;
    L.Map.addInitHook(function () {
      const rec = {created: T(), features: 0, clusters: 0, represented: 0, first: 0,
                   changed: 0, painted: 0, alive: true, frame: location.pathname};
      G().maps.push(rec);
      (window.__gyMaps = window.__gyMaps || []).push(this);
      let pending = false;
      const paint = () => {
        if (pending) { return; }
        pending = true;
        requestAnimationFrame(() => requestAnimationFrame(() => {
          pending = false;
          const t = T();
          if (!rec.first && rec.features + rec.clusters > 0) { rec.first = t; }
          rec.painted = t;
        }));
      };
      const change = (l, sign) => {
        if (isProject(l)) { rec.features += sign; }
        else if (isCluster(l)) { rec.clusters += sign; rec.represented += sign * l.getChildCount(); }
        else { return; }
        rec.changed = T();
        paint();
      };
      this.on("layeradd", (e) => change(e.layer, 1));
      this.on("layerremove", (e) => change(e.layer, -1));
      this.on("unload", () => { rec.alive = false; });
      window.addEventListener("pagehide", () => { rec.alive = false; });
    });
  }
  let current = window.L;
  if (current) { hook(current); }
  try {
    Object.defineProperty(window, "L", {
      configurable: true, enumerable: true,
      get() { return current; },
      set(v) { current = v; try { hook(v); } catch (e) { err("probe: " + e); } },
    });
  } catch (e) { err("probe: " + e); }
})();
