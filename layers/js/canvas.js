(window.gyCanvas = window.gyCanvas || L.canvas({padding: 0.5}))
