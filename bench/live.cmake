# Live capture overhead workload (see bench/live_overhead.sh).
add_executable(syscall_load ${CMAKE_CURRENT_SOURCE_DIR}/syscall_load.c)
