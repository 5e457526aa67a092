# Unit tests of src/fields/ (registry, rendering, evt/proc/fd extraction).
sk_unit_test(test_fields sk_fields)
