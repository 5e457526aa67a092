# scap_read_bench: reads a capture N times and prints events/s (bench/scap_read.sh).
add_executable(scap_read_bench EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/scap_read_bench.c)
target_link_libraries(scap_read_bench PRIVATE sk_event)
