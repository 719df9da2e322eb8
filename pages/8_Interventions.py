"""Interventions (placeholder until its issue lands)."""

import streamlit as st

from lib import ui

page = ui.setup("Interventions")
st.title("Interventions")
st.info("This page is being built.")
