"""Each plugin README's option table is the one the plugin itself declares."""
import glob
import os
import re
import subprocess

from weirtest import SOURCE_DIR, WEIR_BIN


def folder_plugin(folder):
    """plugins/outputs/http -> output/http"""
    return os.path.basename(os.path.dirname(folder)).rstrip("s") + "/" + os.path.basename(folder)


def test_each_plugin_folder_builds_the_plugin_of_its_kind_and_name():
    folders = {folder_plugin(os.path.dirname(c))
               for c in glob.glob(os.path.join(SOURCE_DIR, "plugins", "*", "*", "CMakeLists.txt"))}
    r = subprocess.run([WEIR_BIN, "plugins"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    loaded = [tuple(line.split()[:2]) for line in r.stdout.splitlines()[1:] if line.strip()]
    loaded = {f"{kind}/{name}" for kind, name in loaded}
    # One plugin per folder, and each folder's plugin has the folder's kind and name.
    assert folders == loaded, (sorted(folders - loaded), sorted(loaded - folders))


def test_describe_takes_a_kind_when_names_are_shared():
    r = subprocess.run([WEIR_BIN, "plugins", "--describe", "http"], capture_output=True, text=True)
    assert r.returncode == 1 and "input/http" in r.stderr and "output/http" in r.stderr, r.stderr
    out = subprocess.run([WEIR_BIN, "plugins", "--describe", "output/http"], capture_output=True, text=True)
    inp = subprocess.run([WEIR_BIN, "plugins", "--describe", "input/http"], capture_output=True, text=True)
    assert out.returncode == 0 and inp.returncode == 0
    assert "(output)" in out.stdout and "(input)" in inp.stdout
    assert out.stdout != inp.stdout


def test_every_readme_table_matches_the_plugin():
    readmes = sorted(glob.glob(os.path.join(SOURCE_DIR, "plugins", "*", "*", "README.md")))
    assert readmes, "no plugin READMEs found"
    for readme in readmes:
        which = folder_plugin(os.path.dirname(readme))
        text = open(readme).read()
        m = re.search(r"<!-- options:begin -->\n(.*?)<!-- options:end -->", text, re.S)
        assert m, f"{readme}: no option table markers"
        r = subprocess.run([WEIR_BIN, "plugins", "--describe", which, "--markdown"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert m.group(1) == r.stdout, f"{readme}: option table differs from the plugin's own:\n{r.stdout}"


def test_every_plugin_folder_has_a_readme():
    for cmake in glob.glob(os.path.join(SOURCE_DIR, "plugins", "*", "*", "CMakeLists.txt")):
        folder = os.path.dirname(cmake)
        assert os.path.exists(os.path.join(folder, "README.md")), f"{folder}: no README.md"
