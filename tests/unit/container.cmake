# Tests of src/container/ (runtime engines against real runtimes, hostile peers).
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_ctr_docker.c)
  sk_unit_test(test_ctr_docker sk_container)
endif()
