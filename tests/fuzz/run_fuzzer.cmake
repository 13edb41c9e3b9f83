# Runs one fuzz target for CTest: a fresh work directory receives the inputs it finds (the
# committed seed corpus is only read) and any crash artifact; a crash fails the test.
# -DFUZZER=<binary> -DSEEDS=<seed corpus dir> -DWORK=<work dir> -DOPTIONS=<libFuzzer flags;...>
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} ${OPTIONS} -artifact_prefix=${WORK}/ ${WORK}/corpus ${SEEDS}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(GLOB artifacts ${WORK}/crash-* ${WORK}/leak-* ${WORK}/timeout-* ${WORK}/oom-*)
  message(FATAL_ERROR "${FUZZER} failed (${result}); reproducer(s): ${artifacts}")
endif()
