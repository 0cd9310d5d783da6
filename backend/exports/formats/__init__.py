"""Dataset formats, one pure module each: no database access. Writers read an ExportSource
and write into an open ZipWriter (backend/exports/zipwriter.py); parsers turn uploaded bytes
into ImportedObjects."""
