# gen_ia32_table.cmake — writes compat_nr.h for the eBPF probe: the table that
# turns an ia32 (32-bit compat) syscall number into the x86_64 number whose
# spec describes it, and the socketcall(2) sub-call table. Derived from the
# kernel UAPI headers Debian ships (linux-libc-dev), by syscall name, so that
# no number is typed by hand.
# Usage: cmake -DUNISTD32=.../asm/unistd_32.h -DUNISTD64=.../asm/unistd_64.h
#              -DNET_H=.../linux/net.h -DOUT=compat_nr.h -P gen_ia32_table.cmake
#
cmake_minimum_required(VERSION 3.20)

# Entry encoding (see src/driver/bpf/compat.h): bits 0-8 the x86_64 number,
# 9-11 socketcall's argument count, then the flags below. 0 = not decoded.

# ia32 syscalls with the same name as an x86_64 one whose arguments do NOT
# mean the same thing in compat: an old calling convention (a struct of
# arguments, 16-bit ids), a 64-bit value split over two registers, or a
# structure whose compat layout differs (long, pointers, time32). Mapping
# them would misdecode their arguments, so they are not decoded.
set(deny
  # old conventions: argument block in memory, old stat layout
  mmap select stat lstat fstat
  # 16-bit uid/gid pointers or arguments (the *32 twins are aliased below;
  # set*id take 16-bit values and are converted, see FLAG_UID16)
  chown lchown fchown getgroups setgroups setfsuid setfsgid getuid getgid geteuid
  getegid getresuid getresgid
  # struct rlimit of two 32-bit longs (prlimit64 is the same in both ABIs)
  getrlimit setrlimit
  # 64-bit offsets or lengths split over two registers
  pread64 pwrite64 readahead fadvise64 fallocate sync_file_range lookup_dcookie
  fanotify_mark
  # compat iovec / mmsghdr / other structs of longs and pointers
  readv writev preadv pwritev preadv2 pwritev2 process_vm_readv process_vm_writev
  vmsplice sendmmsg recvmmsg sendfile getdents statfs fstatfs ustat kexec_load
  io_setup io_submit io_getevents io_pgetevents mq_open mq_notify mq_getsetattr
  timer_create msgctl shmctl semctl msgsnd msgrcv shmat set_robust_list
  get_robust_list mbind get_mempolicy set_mempolicy migrate_pages move_pages
  sched_setaffinity sched_getaffinity rt_sigaction rt_sigqueueinfo
  rt_tgsigqueueinfo sigaltstack quotactl
  # 32-bit time_t structures (the *_time64 twins are aliased below)
  time gettimeofday settimeofday nanosleep clock_gettime clock_settime
  clock_getres clock_nanosleep clock_adjtime adjtimex utime utimes futimesat
  utimensat timer_settime timer_gettime timerfd_settime timerfd_gettime
  sched_rr_get_interval ppoll pselect6 epoll_pwait epoll_pwait2 rt_sigtimedwait
  futex mq_timedsend mq_timedreceive getitimer setitimer times wait4 waitid
  getrusage sysinfo)

# ia32-only names that are the x86_64 syscall under another name, with the
# same arguments: 32-bit id variants, 64-bit time variants, fcntl64.
set(alias
  setuid32=setuid setgid32=setgid setreuid32=setreuid setregid32=setregid
  setresuid32=setresuid setresgid32=setresgid chown32=chown lchown32=lchown
  fchown32=fchown getuid32=getuid getgid32=getgid geteuid32=geteuid getegid32=getegid
  getresuid32=getresuid getresgid32=getresgid getgroups32=getgroups
  setgroups32=setgroups setfsuid32=setfsuid setfsgid32=setfsgid fcntl64=fcntl
  sendfile64=sendfile clock_gettime64=clock_gettime clock_settime64=clock_settime
  clock_getres_time64=clock_getres clock_nanosleep_time64=clock_nanosleep
  clock_adjtime64=clock_adjtime timer_gettime64=timer_gettime
  timer_settime64=timer_settime timerfd_gettime64=timerfd_gettime
  timerfd_settime64=timerfd_settime utimensat_time64=utimensat futex_time64=futex)

# set*id with 16-bit ids (old_uid_t): arguments 0-2 are converted.
set(uid16 setuid setgid setreuid setregid setresuid setresgid)
# A pointer to a structure whose compat layout differs (msghdr) in argument 1:
# cleared, so its data parameters stay empty instead of misread.
set(noptr1 sendmsg recvmsg)

# socketcall(2) sub-calls: x86_64 name and argument count (net/socket.c's
# table); SEND and RECV are sendto/recvfrom without an address.
set(sockcalls
  SOCKET=socket:3 BIND=bind:3 CONNECT=connect:3 LISTEN=listen:2 ACCEPT=accept:3
  GETSOCKNAME=getsockname:3 GETPEERNAME=getpeername:3 SOCKETPAIR=socketpair:4
  SEND=sendto:4 RECV=recvfrom:4 SENDTO=sendto:6 RECVFROM=recvfrom:6
  SHUTDOWN=shutdown:2 SETSOCKOPT=setsockopt:5 GETSOCKOPT=getsockopt:5
  SENDMSG=sendmsg:3 RECVMSG=recvmsg:3 ACCEPT4=accept4:4 RECVMMSG=-:5
  SENDMMSG=-:4)

set(FLAG_NOPTR1 4096)
set(FLAG_UID16 8192)
set(FLAG_SOCKETCALL 16384)
set(FLAG_MAPPED 32768)
set(NR_MAX 512)

# Reads "#define <prefix><name> <number>" lines of `file` into
# <var>_<name> variables and the list <var>_names.
function(read_defines file prefix var)
  file(STRINGS "${file}" lines REGEX "^#define[ \t]+${prefix}[A-Za-z0-9_]+[ \t]+[0-9]+")
  set(names "")
  foreach(l IN LISTS lines)
    string(REGEX MATCH "^#define[ \t]+${prefix}([A-Za-z0-9_]+)[ \t]+([0-9]+)" _ "${l}")
    set(${var}_${CMAKE_MATCH_1} ${CMAKE_MATCH_2} PARENT_SCOPE)
    list(APPEND names ${CMAKE_MATCH_1})
  endforeach()
  if(NOT names)
    message(FATAL_ERROR "${file}: no ${prefix}* definitions found")
  endif()
  set(${var}_names ${names} PARENT_SCOPE)
endfunction()

read_defines("${UNISTD32}" "__NR_" n32)
read_defines("${UNISTD64}" "__NR_" n64)
read_defines("${NET_H}" "SYS_" sc)

set(alias_map "")
foreach(a IN LISTS alias)
  string(REPLACE "=" ";" pair "${a}")
  list(GET pair 0 from)
  list(GET pair 1 to)
  set(alias_${from} ${to})
endforeach()

set(entries "")
set(count 0)
foreach(name IN LISTS n32_names)
  set(nr32 ${n32_${name}})
  set(target "")
  set(flags ${FLAG_MAPPED})
  if(name STREQUAL "socketcall")
    set(flags ${FLAG_SOCKETCALL})
    set(target "")
    math(EXPR flags "${flags}" OUTPUT_FORMAT HEXADECIMAL)
    string(APPEND entries "\t[${nr32}] = ${flags}, /* socketcall: sub-call table below */\n")
    continue()
  elseif(DEFINED alias_${name})
    set(target ${alias_${name}})
  elseif(DEFINED n64_${name} AND NOT name IN_LIST deny)
    set(target ${name})
  endif()
  if(target STREQUAL "")
    continue()
  endif()
  if(NOT DEFINED n64_${target})
    message(FATAL_ERROR "alias ${name}=${target}: no x86_64 syscall ${target}")
  endif()
  set(nr64 ${n64_${target}})
  if(nr32 GREATER_EQUAL NR_MAX OR nr64 GREATER_EQUAL NR_MAX)
    message(FATAL_ERROR "syscall ${name}: number ${nr32}/${nr64} not below ${NR_MAX}")
  endif()
  if(name IN_LIST uid16)
    math(EXPR flags "${flags} | ${FLAG_UID16}")
  endif()
  if(name IN_LIST noptr1)
    math(EXPR flags "${flags} | ${FLAG_NOPTR1}")
  endif()
  math(EXPR v "${flags} | ${nr64}" OUTPUT_FORMAT HEXADECIMAL)
  string(APPEND entries "\t[${nr32}] = ${v}, /* ${name} -> ${target} ${nr64} */\n")
  math(EXPR count "${count} + 1")
endforeach()

set(scentries "")
set(scmax 0)
foreach(s IN LISTS sockcalls)
  string(REGEX MATCH "^([A-Z0-9]+)=([a-z0-9_-]+):([0-9])$" _ "${s}")
  set(call ${CMAKE_MATCH_1})
  set(target ${CMAKE_MATCH_2})
  set(nargs ${CMAKE_MATCH_3})
  if(NOT DEFINED sc_${call})
    message(FATAL_ERROR "${NET_H}: no SYS_${call}")
  endif()
  set(num ${sc_${call}})
  if(num GREATER scmax)
    set(scmax ${num})
  endif()
  if(target STREQUAL "-")
    continue() # no decodable x86_64 twin (compat mmsghdr)
  endif()
  set(flags ${FLAG_MAPPED})
  if(target IN_LIST noptr1)
    math(EXPR flags "${flags} | ${FLAG_NOPTR1}")
  endif()
  math(EXPR v "${flags} | (${nargs} << 9) | ${n64_${target}}" OUTPUT_FORMAT HEXADECIMAL)
  string(APPEND scentries "\t[${num}] = ${v}, /* SYS_${call} -> ${target} ${n64_${target}}, ${nargs} args */\n")
endforeach()
math(EXPR scsize "${scmax} + 1")

file(WRITE "${OUT}.tmp"
"/* compat_nr.h — GENERATED by cmake/gen_ia32_table.cmake from ${UNISTD32},
 * ${UNISTD64} and ${NET_H}; do not edit.
 * ${count} ia32 syscalls decoded as their x86_64 twin, plus socketcall. */
#ifndef SK_COMPAT_NR_H
#define SK_COMPAT_NR_H

#define SK_IA32_NR_MAX ${NR_MAX}
#define SK_IA32_SOCKETCALL_MAX ${scsize}

static const __u16 sk_ia32_nr[SK_IA32_NR_MAX] = {
${entries}};

static const __u16 sk_ia32_socketcall[SK_IA32_SOCKETCALL_MAX] = {
${scentries}};

#endif
")
# configure_file rewrites the output only when it changed (no probe rebuild)
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
file(REMOVE "${OUT}.tmp")
