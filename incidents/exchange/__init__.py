"""Cases in and out as files: the row format (columns.py), export (export.py) and import (importer.py)."""
