# Condition evaluation benchmark (see bench/filter_bench.c, bench/filter_vs_sysdig.sh).
add_executable(filter_bench ${CMAKE_CURRENT_SOURCE_DIR}/filter_bench.c)
target_link_libraries(filter_bench PRIVATE sk_filter sk_fields sk_state sk_event sk_util)
