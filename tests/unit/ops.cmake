# Unit tests of the operations pieces: the HTTP server module (server/) and
# app/'s SHA-256, Prometheus writers and per-rule rate limit.
if(TARGET sk_server)
  sk_unit_test(test_server sk_server PkgConfig::CURL)
endif()
sk_unit_test(test_ops sk_app)
