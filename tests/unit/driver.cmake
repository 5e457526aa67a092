# driver: the probe against real syscalls (root + BTF, else skipped loudly),
# the syscall spec table and selection, and the /proc scan.
sk_unit_test(test_probe sk_driver)
sk_unit_test(test_driver_spec sk_driver)
