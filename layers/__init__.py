"""Folium map layers built from GeoDataFrames (no Streamlit here)."""
