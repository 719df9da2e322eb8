"""Vendor file layouts. Importing this package registers each module's layouts and bundles with lib.ingest.

Each module recognises a layout from its header (any spelling of the vendor's column names across
years, quoted or not, comma or tab, with or without BOM) and says which layout it is in the preview:
- mastery_connect: item-level assessment export, standard scores export
- nwea_map: AssessmentResults / combined files, StudentsBySchool, Reading Fluency, the data-file zip
- iready: diagnostic results (every yearly layout, the wide district layout)
- star: Star tests (v2 extract, Enterprise report, legacy detail), standards and skill-area files
- oneroster: OneRoster 1.0-1.2 CSV bundle (zip or folder), gradebook results included
- canvas: Learning Mastery Gradebook, Gradebook export
- google_forms: Forms quiz responses scored with an answer key (file or key submission)
- standards_lists: code + description lists (Common Core files included)
Scale-score results (MAP, i-Ready, Star, Canvas outcomes) are written by `scale` (see its docstring).
"""

from lib.formats import (  # noqa: F401  (each module registers itself)
    canvas,
    google_forms,
    iready,
    mastery_connect,
    nwea_map,
    oneroster,
    scale,
    standards_lists,
    star,
)
