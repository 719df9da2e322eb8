"""Import (placeholder until its issue lands)."""

import streamlit as st

from lib import ui

page = ui.setup("Import")
st.title("Import")
st.info("This page is being built.")
