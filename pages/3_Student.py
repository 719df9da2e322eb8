"""Student (placeholder until its issue lands)."""

import streamlit as st

from lib import ui

page = ui.setup("Student")
st.title("Student")
st.info("This page is being built.")
