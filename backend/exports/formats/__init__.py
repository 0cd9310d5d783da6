"""Dataset formats: no database access. Writers (sav, davis, ytvos, ytvis) read an
ExportSource, write into an open ZipWriter (backend/exports/zipwriter.py) and return the
warnings they also write to warnings.txt; parsers (sav_import, vos, ytvis) turn uploaded
bytes into an ImportedFile, checking every value through checks.FieldReader. Shared parts:
base (data types, frame walking, warnings), images (PNGs, masks from RLE runs), archive
(JSON and zip helpers)."""
