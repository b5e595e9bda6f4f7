"""Message catalogues of the staff console (a package so they are installed)."""
