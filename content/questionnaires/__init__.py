"""Questionnaire definitions (心理测评) published centrally, and the engine that scores them.

Each definition is one JSON file ``<id>.v<version>.json`` in this folder (package data).
A new version is a new file: the old one stays, so results recorded against it keep
their meaning. ``engine`` validates, scores and finds critical answers; it imports
nothing else of the project, so the central server and the kiosk share it.
"""
