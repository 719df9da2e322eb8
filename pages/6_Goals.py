"""Goals (placeholder until its issue lands)."""

import streamlit as st

from lib import ui

page = ui.setup("Goals")
st.title("Goals")
st.info("This page is being built.")
