"""Home: what data we have, and where to go next."""

import streamlit as st

from lib import ui

page = ui.setup("Home", "🏫")
st.title("PLC Lens")
st.caption("Common assessment results for Professional Learning Community teams: who has learned what, "
           "who needs more time and support, and whether we are reaching our goals.")

status = ui.query("status_overview").iloc[0]
if int(status["students"]) == 0 and int(status["assessments"]) == 0:
    st.info("No data yet. Start by importing your common assessment results, a roster, or attendance.",
            icon=":material/upload_file:")
    st.page_link("pages/1_Import.py", label="Import a file", icon=":material/upload_file:")
    st.stop()

c = st.columns(5)
c[0].metric("Students", f"{int(status['students']):,}")
c[1].metric("Schools", f"{int(status['schools']):,}")
c[2].metric("Grades", f"{int(status['grades']):,}")
c[3].metric("Assessments", f"{int(status['assessments']):,}")
c[4].metric("Item responses", f"{int(status['responses']):,}")
if status["first_date"] is not None and str(status["first_date"]) != "NaT":
    st.markdown(f"Results from **{status['first_date']:%d %b %Y}** to **{status['last_date']:%d %b %Y}**, "
                f"{int(status['teachers'])} teachers, {int(status['standards'])} standards.")

st.subheader("Where to go next")
n1, n2, n3 = st.columns(3)
with n1:
    st.markdown("**1. Team meeting**  \nOne common assessment, skill by skill, teacher by teacher.")
    st.page_link("pages/2_Team_meeting.py", label="Open the team meeting view", icon=":material/groups:")
with n2:
    st.markdown("**2. Who needs time and support**  \nRisk scores and the students flagged but not yet discussed.")
    st.page_link("pages/7_Early_warning.py", label="Open early warning", icon=":material/flag:")
with n3:
    st.markdown("**3. Load this week's results**  \nUpload CSV or XLSX from any platform; see exactly what loaded.")
    st.page_link("pages/1_Import.py", label="Import a file", icon=":material/upload_file:")

left, right = st.columns(2)
with left:
    st.subheader("Assessments")
    st.dataframe(ui.query("assessments_by_kind"), hide_index=True, width="stretch",
                 column_config={"first_date": st.column_config.DateColumn("first", format="D MMM YYYY"),
                                "last_date": st.column_config.DateColumn("latest", format="D MMM YYYY")})
    st.subheader("Students by grade")
    st.dataframe(ui.query("students_by_grade"), hide_index=True, width="stretch")
with right:
    st.subheader("Last imports")
    imports = ui.query("recent_imports", limit=8)
    st.dataframe(imports[["import_id", "filename", "status", "rows_loaded", "rows_rejected", "started_at"]],
                 hide_index=True, width="stretch",
                 column_config={"import_id": st.column_config.NumberColumn("#", format="%d"),
                                "rows_loaded": st.column_config.NumberColumn("loaded", format="%d"),
                                "rows_rejected": st.column_config.NumberColumn("rejected", format="%d"),
                                "started_at": st.column_config.DatetimeColumn("when", format="D MMM, HH:mm")})
