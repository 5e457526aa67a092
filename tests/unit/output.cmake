# Unit tests of src/output/. Until the real fields library exists, a mock of
# the few fields the tests use stands in for it.
sk_unit_test(test_output sk_output)
target_link_libraries(test_output PRIVATE PkgConfig::JANSSON)
if(NOT TARGET sk_fields)
  target_sources(test_output PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/output_mock_fields.c)
endif()
