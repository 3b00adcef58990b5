#!/usr/bin/env bash
# 1,000,000 generated Apache combined lines: file → apache → null.
exec "$(dirname "$0")/file_parse_null.sh" apache "${1:-1000000}"
