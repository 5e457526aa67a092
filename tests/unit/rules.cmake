# Unit tests of the rules module (loading, append/override, exceptions, errors).
sk_unit_test(test_rules sk_rules)
