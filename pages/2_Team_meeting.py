"""Team meeting (placeholder until its issue lands)."""

import streamlit as st

from lib import ui

page = ui.setup("Team meeting")
st.title("Team meeting")
st.info("This page is being built.")
