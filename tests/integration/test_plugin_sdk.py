"""The SDK installs with a CMake package; a plugin kept outside the main build
is compiled against the *installed* SDK with clang (the host is g++), dropped
into the plugin folder of a running daemon, and used after SIGHUP."""
import os
import shutil
import subprocess
import tempfile

from weirtest import BUILD_DIR, SOURCE_DIR, wait_until


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout}\n{r.stderr}"
    return r


def test_clang_built_plugin_loaded_by_sighup(daemons):
    work = tempfile.mkdtemp(prefix="weir-sdk-")
    prefix = os.path.join(work, "prefix")
    run(["cmake", "--install", BUILD_DIR, "--prefix", prefix])
    assert os.path.exists(os.path.join(prefix, "include", "weir", "sdk.hpp"))
    build = os.path.join(work, "build")
    env = dict(os.environ)
    env.pop("CXXFLAGS", None)
    run(["cmake", "-S", os.path.join(SOURCE_DIR, "plugin-api", "example", "kv-parser"), "-B", build,
         "-DCMAKE_CXX_COMPILER=clang++", f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release"], env=env)
    cache = open(os.path.join(build, "CMakeCache.txt")).read()
    assert "clang++" in cache
    run(["cmake", "--build", build], env=env)
    so = os.path.join(build, "kv.so")
    assert os.path.exists(so)

    plugin_dir = os.path.join(work, "plugins")
    os.makedirs(plugin_dir)
    d = daemons({}, plugin_dirs=[plugin_dir])
    log = os.path.join(d.dir, "in.log")
    open(log, "w").close()
    d.write_pipeline("first.yaml", "inputs:\n  - type: stdin\noutputs:\n  - type: null\n")
    d.start()
    assert "kv" not in [p["name"] for p in d.status()["plugins"]]

    # Drop the plugin in (rename, never copy over a mapped file) and add a pipeline using it.
    shutil.copy(so, os.path.join(plugin_dir, ".kv.so.tmp"))
    os.rename(os.path.join(plugin_dir, ".kv.so.tmp"), os.path.join(plugin_dir, "kv.so"))
    d.write_pipeline("kv.yaml", f"""
inputs:
  - type: file
    paths: ["{log}"]
    read_from_head: true
parser:
  type: kv
  message_key: msg
outputs:
  - type: stdout
""")
    result = d.reload_signal()
    assert result["result"] == "success", result
    assert "kv" in result["started"]
    plugins = {p["name"]: p for p in d.status()["plugins"]}
    assert plugins["kv"]["version"] == "1.0.0" and plugins["kv"]["abi"] == 1

    with open(log, "a") as f:
        f.write('user=alice status=200 msg="login ok"\n')
    events = wait_until(lambda: d.stdout_json(), message="parsed event")
    assert events[0]["user"] == "alice"
    assert events[0]["status"] == 200
    assert events[0]["message"] == "login ok"
    assert d.terminate() == 0
