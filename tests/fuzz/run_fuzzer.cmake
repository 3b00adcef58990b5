# Runs one libFuzzer target for a bounded time: new inputs go to a scratch
# folder so the committed seed corpus stays as it is.
string(RANDOM LENGTH 8 _r)
set(_scratch "${ARTIFACTS}scratch-${_r}")
file(MAKE_DIRECTORY "${_scratch}")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -max_len=4096
          -print_final_stats=1 -artifact_prefix=${ARTIFACTS} "${_scratch}" "${SEEDS}"
  RESULT_VARIABLE _rc)
file(REMOVE_RECURSE "${_scratch}")
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "fuzzer exited with ${_rc}; the input is in ${ARTIFACTS}*")
endif()
