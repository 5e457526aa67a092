# rules_bench: rules load time and per-stage cost on a capture (bench/rules_bench.sh).
add_executable(rules_bench EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/rules_bench.c)
target_link_libraries(rules_bench PRIVATE sk_rules sk_filter sk_fields sk_state sk_event sk_util)
