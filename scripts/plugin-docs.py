#!/usr/bin/env python3
"""Regenerate the option table of every plugin README from the plugin itself.

usage: scripts/plugin-docs.py [path/to/weir]   (default: build/weir)
"""
import glob
import os
import re
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
weir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "weir")
changed = 0
for readme in sorted(glob.glob(os.path.join(root, "plugins", "*", "*", "README.md"))):
    folder = os.path.dirname(readme)
    name = os.path.basename(os.path.dirname(folder)).rstrip("s") + "/" + os.path.basename(folder)
    table = subprocess.run([weir, "plugins", "--describe", name, "--markdown"],
                           check=True, capture_output=True, text=True).stdout
    text = open(readme).read()
    new = re.sub(r"(<!-- options:begin -->\n).*?(<!-- options:end -->)",
                 lambda m: m.group(1) + table + m.group(2), text, flags=re.S)
    if new != text:
        open(readme, "w").write(new)
        changed += 1
        print("updated", os.path.relpath(readme, root))
print(f"{changed} README(s) updated")
