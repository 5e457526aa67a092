# Tests of src/container/ (runtime engines against real runtimes, hostile peers).
sk_unit_test(test_ctr_docker sk_container)
set_tests_properties(test_ctr_docker PROPERTIES TIMEOUT 300)
sk_unit_test(test_ctr_config sk_container)
