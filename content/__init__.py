"""Lesson content: where lesson files live on a terminal and how they are checked."""
