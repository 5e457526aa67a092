# Unit tests of src/app/notify.c (systemd readiness).
sk_unit_test(test_notify sk_app)
