#!/usr/bin/env bash
# Fails when a C or C++ file of the tree (tracked, or new and not ignored) differs from the root .clang-format.
# scripts/check-format.sh --fix rewrites them instead.
# tests/fixtures/abi-v1 (a frozen copy of an old header) has a .clang-format that keeps it as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' '*.cpp' '*.hpp')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if (( ${#bad[@]} )); then
  echo "These files differ from .clang-format (scripts/check-format.sh --fix rewrites them):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "format: ${#files[@]} files follow .clang-format"
