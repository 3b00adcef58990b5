#!/usr/bin/env bash
# The first command: install what is missing, build, and start Weir in the
# foreground with the default config (weir.yaml + pipelines/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release
scripts/build-web.sh || echo "weir: the dashboard is not built; / says how to build it" >&2
mkdir -p var/log var/plugins
exec build/weir run --config weir.yaml
