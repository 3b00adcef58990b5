#!/usr/bin/env bash
# The second command: install what is missing, check the code format, build, and run the whole test
# suite twice — a normal build and an ASan+UBSan build — then every libFuzzer
# target for a bounded time (WEIR_FUZZ_SECONDS, default 20 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/check-format.sh
export CTEST_OUTPUT_ON_FAILURE=1
jobs=${WEIR_JOBS:-$(nproc)}

scripts/build.sh release
scripts/build-web.sh
(cd build && ctest -j "$jobs" --timeout 600)

scripts/build.sh asan
# intercept_tls_get_addr=0: GCC 12's LeakSanitizer misreads glibc 2.36's
# dynamic-TLS table of dlopen'd libraries (plugins linking libcrypto) and
# its tracer crashes at exit ("DTLS at 0x40d…", "Tracer caught signal 11").
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:intercept_tls_get_addr=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest -j "$jobs" --timeout 900)

scripts/build.sh fuzz
cmake -DWEIR_FUZZ_SECONDS="${WEIR_FUZZ_SECONDS:-20}" build-fuzz >/dev/null
(cd build-fuzz && ctest -j "$jobs" --timeout 600)
