"""Page detection and perspective correction of a photographed written report (思想汇报).

The photos are made here (``page_photos``): a page of text rows warped at an angle onto a
cluttered table under uneven light. The corrected page must have the true corners, a
page's proportions and horizontal text rows; a table with no page says so.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk import page_scan
from tests.kiosk.page_photos import PAGE_H, PAGE_W, ROWS, no_page_photo, page_photo


def text_rows(page: np.ndarray) -> list[float]:
    """The slope (degrees) of each text row of a corrected page, top to bottom."""
    ink = (page < 128).astype(np.uint8)
    ink[:, : page.shape[1] // 30] = 0  # a sliver of table left at an edge is not text
    ink[:, -page.shape[1] // 30:] = 0
    lines = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (41, 3)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(lines)
    slopes = []
    for label in sorted(range(1, count), key=lambda i: stats[i, cv2.CC_STAT_TOP]):
        if stats[label, cv2.CC_STAT_WIDTH] < page.shape[1] * 0.3:
            continue
        ys, xs = np.nonzero((labels == label) & (ink > 0))
        vx, vy, _, _ = cv2.fitLine(np.column_stack([xs, ys]).astype(np.float32),
                                   cv2.DIST_L2, 0, 0.01, 0.01).ravel()
        slopes.append(float(np.degrees(np.arctan2(vy, vx))))
    return slopes


@pytest.mark.parametrize("angle", [0.0, 12.0, -20.0, 30.0])
def test_a_page_photographed_at_an_angle_comes_out_upright(angle):
    photo, truth = page_photo(angle_deg=angle)
    page = page_scan.scan(photo)
    # corners found within 1 % of the photo's width of the true ones
    assert np.abs(page.corners - truth).max() < 0.01 * photo.shape[1]
    width, height = page.size
    assert height > width  # portrait, as the page was written
    # a page's proportions (the near edge looks wider in perspective: a few % off)
    assert abs(height / width - PAGE_H / PAGE_W) < 0.08 * PAGE_H / PAGE_W
    slopes = text_rows(page.image)
    assert len(slopes) == ROWS
    assert max(abs(s) for s in slopes) < 1.5  # the text rows are horizontal


def test_the_corrected_page_is_a_legible_grey_jpeg():
    photo, _ = page_photo(angle_deg=15.0)
    page = page_scan.scan(photo)
    assert page.image.ndim == 2 and page.image.dtype == np.uint8
    jpeg = page.jpeg()
    assert jpeg.startswith(b"\xff\xd8\xff") and len(jpeg) < 150_000
    # the uneven light is gone: the paper is nearly white across the page
    paper = page.image[page.image > 128]
    assert np.percentile(paper, 10) > 200
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded.ndim == 2 and decoded.shape == page.image.shape


def test_a_table_without_paper_is_no_page():
    with pytest.raises(page_scan.NoPageFound):
        page_scan.scan(no_page_photo())


def test_a_page_cut_off_by_the_frame_is_no_page():
    photo, truth = page_photo(angle_deg=5.0)
    shift = int(truth[:, 0].min()) + 40  # the left edge of the page leaves the picture
    with pytest.raises(page_scan.NoPageFound):
        page_scan.scan(np.ascontiguousarray(photo[:, shift:]))


def test_a_blank_frame_is_no_page():
    with pytest.raises(page_scan.NoPageFound):
        page_scan.scan(np.zeros((480, 640, 3), np.uint8))
