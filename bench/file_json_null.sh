#!/usr/bin/env bash
# 2,000,000 generated JSON lines: file → json → null (OUTPUT=stdout for stdout).
exec "$(dirname "$0")/file_parse_null.sh" json "${1:-2000000}"
