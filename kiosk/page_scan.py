"""Finding a handwritten page in a camera photo and making it legible (思想汇报).

The page is the largest four-cornered outline in the photo: edges (Canny) and a bright
region (Otsu threshold) are both searched, the biggest convex quadrilateral covering at
least ``MIN_AREA_FRACTION`` of the photo wins. It is warped to an upright rectangle (its
own side lengths give the aspect), then made legible: grey, uneven light divided out,
contrast stretched. No page found raises ``NoPageFound`` (the screen says 没有找到纸张).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# The page must cover this share of the photo (a smaller outline is a book cover, a
# window, a phone on the table...).
MIN_AREA_FRACTION = 0.12
# The outline found must fill at least this share of its four-cornered fit.
MIN_FILL = 0.9
# Photos are searched at this width (speed); the page is cut from the full photo.
SEARCH_WIDTH = 800
# The corrected page's longest side (enough for handwriting, small as a JPEG).
PAGE_LONG_SIDE = 1400
JPEG_QUALITY = 70


class NoPageFound(Exception):
    """No paper outline in the photo (too small, cut off by the frame, or absent)."""


@dataclass(frozen=True)
class ScannedPage:
    image: np.ndarray      # grey uint8, upright
    corners: np.ndarray    # 4x2 float32, in the photo: top-left, top-right, bottom-right, bottom-left

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the corrected page."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    def jpeg(self, quality: int = JPEG_QUALITY) -> bytes:
        ok, buf = cv2.imencode(".jpg", self.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise NoPageFound("the page could not be encoded")
        return buf.tobytes()


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    total, diff = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(total)], pts[np.argmin(diff)],
                     pts[np.argmax(total)], pts[np.argmax(diff)]], dtype=np.float32)


def _quads(mask: np.ndarray, min_area: float) -> list[tuple[float, np.ndarray]]:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:8]:
        area = cv2.contourArea(contour)
        if area < min_area:
            break
        hull = cv2.convexHull(contour)
        perimeter = cv2.arcLength(hull, True)
        for eps in (0.02, 0.03, 0.05):
            approx = cv2.approxPolyDP(hull, eps * perimeter, True)
            if len(approx) == 4 and cv2.isContourConvex(approx):
                quad_area = cv2.contourArea(approx)
                # The outline must fill its quadrilateral: a blob of table clutter
                # merged with the page has a hull that four corners fit badly.
                if area >= MIN_FILL * quad_area:
                    found.append((quad_area, approx.reshape(4, 2)))
                break
    return found


def _touches_border(quad: np.ndarray, width: int, height: int, margin: int = 2) -> bool:
    """A corner on the photo's edge: the frame itself, or a page cut off by it."""
    xs, ys = quad[:, 0], quad[:, 1]
    on_edge = (xs <= margin) | (xs >= width - 1 - margin) | (ys <= margin) | (ys >= height - 1 - margin)
    return bool(on_edge.any())


def find_corners(photo: np.ndarray) -> np.ndarray:
    """The page's four corners in ``photo`` (BGR or grey), ordered; NoPageFound if none."""
    if photo is None or photo.size == 0:
        raise NoPageFound("no photo")
    grey = photo if photo.ndim == 2 else cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    scale = min(1.0, SEARCH_WIDTH / grey.shape[1])
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) \
        if scale < 1.0 else grey
    height, width = small.shape
    min_area = MIN_AREA_FRACTION * width * height
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    edges = cv2.dilate(cv2.Canny(blurred, 40, 120), np.ones((3, 3), np.uint8), iterations=2)
    _, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    # Handwriting inside the page must not split it: close the bright region's holes.
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    candidates = [q for q in _quads(edges, min_area) + _quads(bright, min_area)
                  if not _touches_border(q[1], width, height)]
    if not candidates:
        raise NoPageFound("no four-cornered outline large enough")
    _, best = max(candidates, key=lambda c: c[0])
    return order_corners(best / scale)


def warp_page(photo: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The quadrilateral ``corners`` of ``photo`` as an upright rectangle."""
    tl, tr, br, bl = corners
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    factor = min(1.0, PAGE_LONG_SIDE / max(width, height))
    w, h = max(1, int(round(width * factor))), max(1, int(round(height * factor)))
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(photo, matrix, (w, h), flags=cv2.INTER_AREA,
                               borderMode=cv2.BORDER_REPLICATE)


def enhance(page: np.ndarray) -> np.ndarray:
    """Grey, even light (the background is divided out), contrast stretched."""
    grey = page if page.ndim == 2 else cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    size = max(15, (min(grey.shape) // 12) | 1)
    background = cv2.morphologyEx(grey, cv2.MORPH_CLOSE,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    background = cv2.GaussianBlur(background, (0, 0), size / 4)
    flat = cv2.divide(grey, np.maximum(background, 1), scale=255)
    return cv2.normalize(flat, None, 0, 255, cv2.NORM_MINMAX)


def scan(photo: np.ndarray) -> ScannedPage:
    """Find, straighten and clean the page in a photo; NoPageFound when there is none."""
    corners = find_corners(photo)
    return ScannedPage(image=enhance(warp_page(photo, corners)), corners=corners)
