# cmake -DTARGET=t -DBUILD_DIR=d -DEXPECT=success|HEADER -P check-include.cmake
#
# Builds one include probe of tests/CMakeLists.txt.  EXPECT=success: the
# probe must compile.  EXPECT=HEADER: it must fail, and because HEADER is
# not on the include path (any other failure is a broken probe, not proof).
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(EXPECT STREQUAL "success")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${TARGET}: the public headers do not compile:\n${out}")
  endif()
  message(STATUS "${TARGET}: the public headers compile")
  return()
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "${TARGET}: `${EXPECT}` is reachable from another module's include path")
endif()
string(FIND "${out}" "${EXPECT}: No such file or directory" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${TARGET}: the probe failed for another reason than `${EXPECT}` not found:\n${out}")
endif()
message(STATUS "${TARGET}: `${EXPECT}` is not reachable from outside its module")
