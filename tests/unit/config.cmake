# Unit tests of src/config/.
sk_unit_test(test_config sk_config)
