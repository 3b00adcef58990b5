#!/usr/bin/env bash
# The first command: install what is missing, build, and start Weir in the
# foreground with the default config (weir.yaml + pipelines/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release
mkdir -p var/log var/plugins
exec build/weir run --config weir.yaml
