# install.cmake — what `cmake --install` puts where (FHS; the Debian package,
# debian/, is this tree with prefix /usr). The files in deploy/ name the
# package's paths (/usr/bin/saker, /etc/saker); they are rewritten here for
# another prefix.
include(GNUInstallDirs)

set(SAKER_CONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/saker")
set(SAKER_BIN "${CMAKE_INSTALL_FULL_BINDIR}/saker")
# systemd's directory for packaged units (/lib/systemd/system on Debian 12);
# under another prefix, the prefix's lib/systemd/system (systemd reads
# /usr/local/lib/systemd/system too).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(SAKER_SYSTEMD_DEFAULT systemd systemdsystemunitdir)
endif()
if(NOT SAKER_SYSTEMD_DEFAULT)
  set(SAKER_SYSTEMD_DEFAULT "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(SAKER_SYSTEMD_UNITDIR "${SAKER_SYSTEMD_DEFAULT}" CACHE PATH "where saker.service is installed")

# deploy/ files with the package's paths replaced by this install's
function(saker_install_configured src dst_dir)
  file(READ "${CMAKE_SOURCE_DIR}/${src}" text)
  string(REPLACE "/usr/bin/saker" "${SAKER_BIN}" text "${text}")
  string(REPLACE "/etc/saker" "${SAKER_CONFDIR}" text "${text}")
  get_filename_component(name "${src}" NAME)
  file(WRITE "${CMAKE_BINARY_DIR}/install/${name}" "${text}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/${src}")
  install(FILES "${CMAKE_BINARY_DIR}/install/${name}" DESTINATION "${dst_dir}")
endfunction()

install(TARGETS saker DESTINATION "${CMAKE_INSTALL_BINDIR}")
# saker.yaml: every key of src/config/keys.c with its built-in default,
# generated at build time so that it follows the keys table
find_program(SAKER_PYTHON3 NAMES python3 REQUIRED)
set(SAKER_YAML "${CMAKE_BINARY_DIR}/install/saker.yaml")
add_custom_command(OUTPUT "${SAKER_YAML}"
  COMMAND "${SAKER_PYTHON3}" "${CMAKE_SOURCE_DIR}/deploy/gen_saker_yaml.py" "${SAKER_YAML}" "${SAKER_CONFDIR}"
  DEPENDS "${CMAKE_SOURCE_DIR}/deploy/gen_saker_yaml.py" "${CMAKE_SOURCE_DIR}/src/config/keys.c"
  COMMENT "Generating saker.yaml from src/config/keys.c")
add_custom_target(saker_yaml DEPENDS "${SAKER_YAML}")
add_dependencies(saker saker_yaml)
install(FILES "${SAKER_YAML}" DESTINATION "${SAKER_CONFDIR}")
saker_install_configured(deploy/etc/saker_rules.local.yaml "${SAKER_CONFDIR}")
saker_install_configured(deploy/systemd/saker.service "${SAKER_SYSTEMD_UNITDIR}")
# the default rules, joined from rules/saker_*.yaml (src/app/CMakeLists.txt),
# and the Kubernetes audit rules, which a user adds to rules_files when the
# audit webhook is enabled (docs/k8s-audit.md)
install(FILES "${SK_JOINED_RULES}" "${CMAKE_SOURCE_DIR}/rules/saker_k8s_audit.yaml"
        DESTINATION "${SAKER_CONFDIR}")
install(DIRECTORY DESTINATION "${SAKER_CONFDIR}/rules.d")
install(FILES deploy/man/saker.8 DESTINATION "${CMAKE_INSTALL_MANDIR}/man8")
file(GLOB SAKER_DOCS CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/docs/*.md")
install(FILES README.md ${SAKER_DOCS} DESTINATION "${CMAKE_INSTALL_DOCDIR}")
