"""The Streamlit user interface: one module per job (see docs/app.md). Only this package and
streamlit_app.py import Streamlit; caching (st.cache_*) lives in `ui.data`."""
