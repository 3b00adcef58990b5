"""Each plugin README's option table is the one the plugin itself declares."""
import glob
import os
import re
import subprocess

from weirtest import SOURCE_DIR, WEIR_BIN


def test_every_readme_table_matches_the_plugin():
    readmes = sorted(glob.glob(os.path.join(SOURCE_DIR, "plugins", "*", "*", "README.md")))
    assert readmes, "no plugin READMEs found"
    for readme in readmes:
        folder = os.path.dirname(readme)
        name = os.path.basename(os.path.dirname(folder)).rstrip("s") + "/" + os.path.basename(folder)
        text = open(readme).read()
        m = re.search(r"<!-- options:begin -->\n(.*?)<!-- options:end -->", text, re.S)
        assert m, f"{readme}: no option table markers"
        r = subprocess.run([WEIR_BIN, "plugins", "--describe", name, "--markdown"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert m.group(1) == r.stdout, f"{readme}: option table differs from the plugin's own:\n{r.stdout}"


def test_every_plugin_folder_has_a_readme():
    for cmake in glob.glob(os.path.join(SOURCE_DIR, "plugins", "*", "*", "CMakeLists.txt")):
        folder = os.path.dirname(cmake)
        assert os.path.exists(os.path.join(folder, "README.md")), f"{folder}: no README.md"
