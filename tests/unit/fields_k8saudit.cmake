# Unit tests of the k8s_audit fields (src/fields/fields_k8saudit.c).
sk_unit_test(test_fields_k8saudit sk_fields PkgConfig::JANSSON)
