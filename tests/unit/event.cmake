sk_unit_test(test_scap sk_event)
