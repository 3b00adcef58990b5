"""Golden tests of the filters: pipeline files under tests/golden/ whose
`tests:` sections send realistic events through the parser and filters
(`weir test`), run from the repository root so their relative paths
(lookup table, GeoIP test databases) resolve."""
import glob
import os
import subprocess

from weirtest import SOURCE_DIR, WEIR_BIN


def test_golden_pipelines_pass():
    files = sorted(glob.glob(os.path.join(SOURCE_DIR, "tests", "golden", "*.yaml")))
    assert len(files) >= 2
    for path in files:
        r = subprocess.run([WEIR_BIN, "test", os.path.relpath(path, SOURCE_DIR)], cwd=SOURCE_DIR,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"{path}:\n{r.stdout}\n{r.stderr}"
        assert " 0 failed" in r.stdout, r.stdout


def test_a_broken_expectation_fails(tmp_path):
    # The golden runner must be able to fail: the same pipeline, one wrong expectation.
    src = open(os.path.join(SOURCE_DIR, "tests", "golden", "web-access.yaml")).read()
    broken = src.replace("user_plan: pro", "user_plan: enterprise")
    assert broken != src
    path = tmp_path / "broken.yaml"  # its relative paths still resolve from the repository root
    path.write_text(broken)
    r = subprocess.run([WEIR_BIN, "test", str(path)], cwd=SOURCE_DIR, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout
    assert "user_plan: expected enterprise" in r.stdout, r.stdout
    assert "4 passed, 1 failed" in r.stdout, r.stdout
