"""Early warning (placeholder until its issue lands)."""

import streamlit as st

from lib import ui

page = ui.setup("Early warning")
st.title("Early warning")
st.info("This page is being built.")
