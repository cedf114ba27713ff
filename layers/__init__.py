"""What the app shows, built from GeoDataFrames: the folium map and its layers, tables, the
town boundaries to show (no Streamlit here)."""
