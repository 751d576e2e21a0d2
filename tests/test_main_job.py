"""The README's first command: the main job against the in-process emulator."""

from __future__ import annotations

import pathlib
import re
import runpy

import pytest

# Slow: the main job end to end in a child process.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "main_job.py"


def test_main_job_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(EXAMPLE))["main"]
    assert main([]) == 0
    out = capsys.readouterr().out
    created = re.search(r"^1\. created image (img-\w+) \(request id \S+\)$", out, re.M)
    assert created, out
    image_id = created.group(1)
    assert f"2. image {image_id} is ACTIVE" in out
    assert "4. warm: node-fra-01=SUCCESS, node-sin-02=SUCCESS" in out
    assert re.search(rf"^    {image_id}  ACTIVE ", out, re.M)


def test_live_mode_needs_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(EXAMPLE))["main"]
    with pytest.raises(SystemExit) as info:
        main(["--live"])
    assert info.value.code == 2
    assert "--live needs --instance-uuid and --nodes" in capsys.readouterr().err
