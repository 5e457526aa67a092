# Unit tests of src/audit/ (time, decode, queue, open_params).
sk_unit_test(test_audit sk_audit)
