"""bench/liveness_bench.py on a small data folder (symlinks into the shared data, in tmp)."""

from __future__ import annotations

import json

import pytest

from .conftest import SCREEN


@pytest.mark.slow
def test_bench_prints_figures_and_reports_unknown_labels(bench, liveness_dir, tmp_path, capsys):
    screen = tmp_path / "liveness" / "spoof_screen"
    screen.mkdir(parents=True)
    (screen / "F2.jpg").symlink_to(liveness_dir / SCREEN)
    mystery = tmp_path / "liveness" / "mask_3d"
    mystery.mkdir()
    (mystery / "a.jpg").write_bytes(b"not looked at")

    assert bench.main([str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["liveness_apcer_by_type"] == {"spoof_screen": 0.0}
    assert figures["liveness_apcer"] == 0.0
    assert figures["liveness_unknown_labels"] == {"mask_3d": 1}
    assert figures["liveness_ms_p50"] > 0
    assert "liveness_bpcer" in figures  # no bona fide clip here: NaN is reported, not a crash
    assert any("unknown label 'mask_3d'" in line for line in lines)


def test_bench_without_arguments_prints_usage(bench, capsys):
    assert bench.main([]) == 2
    assert "usage" in capsys.readouterr().err
