"""School trends (placeholder until its issue lands)."""

import streamlit as st

from lib import ui

page = ui.setup("School trends")
st.title("School trends")
st.info("This page is being built.")
