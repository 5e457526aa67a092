# Unit tests of the k8s audit webhook (audit/webhook.c on server/) over
# real HTTP on loopback (libcurl).
if(TARGET PkgConfig::CURL)
  sk_unit_test(test_audit_web sk_audit PkgConfig::CURL)
endif()
