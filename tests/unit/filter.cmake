# Unit tests of src/filter/ (parser, AST helpers, operators, compiler).
sk_unit_test(test_filter_parse sk_filter)

# The evaluator is tested over a fake field registry defined in the test, so
# it is built from the filter sources directly instead of linking sk_fields.
file(GLOB SK_FILTER_TEST_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/filter/*.c)
add_executable(test_filter_eval ${CMAKE_CURRENT_SOURCE_DIR}/test_filter_eval.c ${SK_FILTER_TEST_SRC})
target_link_libraries(test_filter_eval PRIVATE sk_event sk_util PkgConfig::PCRE2 PkgConfig::CMOCKA)
add_test(NAME test_filter_eval COMMAND test_filter_eval)
