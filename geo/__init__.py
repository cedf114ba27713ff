"""Data and spatial logic of the 高要区 plan map (no Streamlit here).

CRS: everything stored or returned is WGS84 (EPSG:4326, lon/lat) unless a docstring says
otherwise; metric work uses UTM 49N (EPSG:32649).
"""
