# kfilter: one table of cases through the user-space evaluation and the real
# probe (root + BTF, else that part skips loudly), and the derivation from rules.
sk_unit_test(test_kfilter sk_kfilter)
# the path scan (a word at a time) against its byte-at-a-time definition
sk_unit_test(test_kfilter_scan sk_driver)
