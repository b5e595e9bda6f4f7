"""Jinja2 templates of the staff console (a package so they are installed)."""
