// Kiosk idle timer: after cfg.ms milliseconds without any touch/mouse/key input (in the page
// or the map) and with no run of the app going on, go back to the kiosk home URL (cfg.home, a
// query string). Runs in the component's iframe and injects the timer into the parent page
// once (same origin); later runs only update the configuration.
(function(cfg) {
  var P = window.parent;
  P.__gyIdleCfg = cfg;
  if (P.__gyIdle) return;
  P.__gyIdle = true;
  var s = P.document.createElement('script');
  s.textContent = "(" + function() {
    var last = Date.now(), dirty = false;
    function poke() { last = Date.now(); dirty = true; }
    var evs = ['pointerdown', 'touchstart', 'keydown', 'wheel', 'mousemove'];
    function hook(doc) {
      if (!doc || doc.__gyHooked) return; doc.__gyHooked = true;
      evs.forEach(function(e) {
        doc.addEventListener(e, poke, {passive: true, capture: true});
      });
    }
    hook(document);
    setInterval(function() {
      document.querySelectorAll('iframe').forEach(function(f) {
        try { hook(f.contentWindow.document); } catch (e) {}
      });
      // a visitor waiting for the app is not idle: the clock starts again when a run ends
      // (Streamlit marks its root with the script state; without the mark, input alone counts)
      var app = document.querySelector('[data-testid="stApp"]');
      var state = app && app.getAttribute('data-test-script-state');
      if (state === 'running' || state === 'rerunRequested') last = Date.now();
      var c = window.__gyIdleCfg;
      var home = window.location.pathname + c.home;
      var here = window.location.pathname + window.location.search;
      if ((dirty || here !== home) && Date.now() - last > c.ms) {
        window.location.replace(home);
      }
    }, 500);
  } + ")();";
  P.document.head.appendChild(s);
})(/*CONFIG*/);
