# Tests of the CRI and containerd engines (src/container/cri.c, containerd.c,
# grpc.c) against a real containerd (scripts/containers/setup-containerd.sh),
# and the test client sk_crictl (tests/tools/sk_crictl.c) they use.
add_executable(sk_crictl ${CMAKE_SOURCE_DIR}/tests/tools/sk_crictl.c)
target_link_libraries(sk_crictl PRIVATE sk_container)
sk_unit_test(test_ctr_cri sk_container)
target_compile_definitions(test_ctr_cri PRIVATE SK_CRICTL="$<TARGET_FILE:sk_crictl>")
add_dependencies(test_ctr_cri sk_crictl)
set_tests_properties(test_ctr_cri PROPERTIES TIMEOUT 300)
