# Real-process load for the bounded-state tests (tests/e2e/test_load_bounds.py,
# bench/load_bounds.sh).
find_package(Threads REQUIRED)
add_executable(load_storm ${CMAKE_CURRENT_SOURCE_DIR}/load_storm.c)
target_link_libraries(load_storm PRIVATE Threads::Threads)
