"""Model card (placeholder until its issue lands)."""

import streamlit as st

from lib import ui

page = ui.setup("Model card")
st.title("Model card")
st.info("This page is being built.")
