"""Standards (placeholder until its issue lands)."""

import streamlit as st

from lib import ui

page = ui.setup("Standards")
st.title("Standards")
st.info("This page is being built.")
