# Tests of src/state/ (threads, fds, users, containers, event updates).
sk_unit_test(test_state sk_state)
sk_unit_test(test_state_parse sk_state)
sk_unit_test(test_state_replay sk_state)
sk_unit_test(test_state_container sk_state)
