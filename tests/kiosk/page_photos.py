"""Synthetic photos of a handwritten page, made with OpenCV for the page-scan tests.

A white page with rows of "handwriting" (Hershey script text) is warped, at an angle
and in perspective, onto a cluttered table; the true corners are returned with it.
"""
from __future__ import annotations

import cv2
import numpy as np

PAGE_W, PAGE_H = 620, 877  # A4 proportions (1 : 1.414)
ROWS = 12
LINES = ["I report on my work and study this month", "I went to the village office",
         "and helped with the harvest every day", "I did not leave the county"]


def page_image(rows: int = ROWS) -> np.ndarray:
    """An upright page: white paper, a margin, rows of dark text."""
    page = np.full((PAGE_H, PAGE_W, 3), 245, np.uint8)
    for i in range(rows):
        y = 80 + i * 62
        cv2.putText(page, LINES[i % len(LINES)], (40, y), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
                    0.95, (40, 30, 30), 2, cv2.LINE_AA)
    return page


def cluttered_background(width: int, height: int, seed: int) -> np.ndarray:
    """A dark wooden-ish table with objects on it (shapes, stripes, noise)."""
    rng = np.random.default_rng(seed)
    table = np.zeros((height, width, 3), np.uint8)
    table[:] = (40, 70, 105)
    for x in range(0, width, 9):  # wood grain
        cv2.line(table, (x, 0), (x + int(rng.integers(-40, 40)), height),
                 tuple(int(c) for c in rng.integers(25, 95, 3)), 2)
    for _ in range(14):  # things on the table
        colour = tuple(int(c) for c in rng.integers(0, 200, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.5:
            cv2.circle(table, (x, y), int(rng.integers(10, 60)), colour, -1)
        else:
            cv2.rectangle(table, (x, y), (x + int(rng.integers(20, 90)),
                                          y + int(rng.integers(10, 50))), colour, -1)
    noise = rng.normal(0, 6, table.shape)
    return np.clip(table.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def page_photo(width: int = 1280, height: int = 960, angle_deg: float = 12.0,
               scale: float = 0.62, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """(BGR photo, true page corners TL/TR/BR/BL) of a page lying on a cluttered table."""
    photo = cluttered_background(width, height, seed)
    page = page_image()
    h = scale * height
    w = h * PAGE_W / PAGE_H
    centre = np.array([width / 2 + 20, height / 2 - 10])
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    corners = corners @ rot.T
    corners[2:, 0] *= 1.06  # perspective: the near edge looks wider
    corners[:2, 0] *= 0.94
    corners = (corners + centre).astype(np.float32)
    source = np.array([[0, 0], [PAGE_W - 1, 0], [PAGE_W - 1, PAGE_H - 1], [0, PAGE_H - 1]],
                      np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(page, matrix, (width, height))
    mask = cv2.warpPerspective(np.full((PAGE_H, PAGE_W), 255, np.uint8), matrix, (width, height))
    photo[mask > 0] = warped[mask > 0]
    # uneven light: darker towards one corner
    yy, xx = np.mgrid[0:height, 0:width]
    light = 1.0 - 0.25 * (xx / width) * (yy / height)
    photo = np.clip(photo * light[..., None], 0, 255).astype(np.uint8)
    return photo, corners


def no_page_photo(width: int = 1280, height: int = 960, seed: int = 3) -> np.ndarray:
    """The same cluttered table with no paper on it."""
    return cluttered_background(width, height, seed)
