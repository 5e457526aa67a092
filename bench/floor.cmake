# The floor of a syscall-exit probe (exit_floor.c: empty tp_btf/fexit
# programs), for bench/probe_cost.sh and bench/live_ab.sh. Built with the probe.
if(SAKER_BPF)
  set(fgen ${CMAKE_CURRENT_BINARY_DIR}/floor_gen)
  file(MAKE_DIRECTORY ${fgen})
  set(vmlinux ${CMAKE_BINARY_DIR}/src/driver/gen/vmlinux.h)
  add_custom_command(OUTPUT ${fgen}/exit_floor.skel.h
    COMMAND ${SK_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
            -I${CMAKE_BINARY_DIR}/src/driver/gen
            -c ${CMAKE_CURRENT_SOURCE_DIR}/exit_floor.bpf.c -o ${fgen}/exit_floor.bpf.o
    COMMAND ${SK_BPFTOOL} gen skeleton ${fgen}/exit_floor.bpf.o name exit_floor > ${fgen}/exit_floor.skel.h
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/exit_floor.bpf.c sk_probe_skel
    COMMENT "Compiling the exit-floor eBPF programs" VERBATIM)
  add_executable(exit_floor ${CMAKE_CURRENT_SOURCE_DIR}/exit_floor.c ${fgen}/exit_floor.skel.h)
  target_include_directories(exit_floor PRIVATE ${fgen})
  target_link_libraries(exit_floor PRIVATE PkgConfig::LIBBPF)
endif()
