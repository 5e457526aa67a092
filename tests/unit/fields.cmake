# Unit tests of src/fields/ (registry, rendering, evt/proc/fd extraction).
sk_unit_test(test_fields sk_fields)
# The fd.*ip.name resolver (getaddrinfo of localhost, a background refresh).
sk_unit_test(test_dnscache sk_fields)
