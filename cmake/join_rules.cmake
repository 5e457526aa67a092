# join_rules.cmake — joins the default rules files (rules/saker_*.yaml, each a
# YAML sequence at column 0) into the one saker_rules.yaml that is installed
# as /etc/saker/saker_rules.yaml, in the order the binary embeds them.
# Usage: cmake -DIN="a.yaml|b.yaml" -DOUT=saker_rules.yaml -P join_rules.cmake
string(REPLACE "|" ";" files "${IN}")
set(out "# saker's default rules. Generated at build time from rules/saker_*.yaml of the\n")
string(APPEND out "# source tree (lists and macros first); package upgrades replace this file.\n")
string(APPEND out "# Change rules in saker_rules.local.yaml or rules.d/ instead (append/override).\n")
foreach(f IN LISTS files)
  file(READ "${f}" text)
  if(text MATCHES "(^|\n)---")
    message(FATAL_ERROR "${f}: a default rules file must be one YAML document (no ---)")
  endif()
  get_filename_component(base "${f}" NAME)
  string(APPEND out "\n# ---- ${base} ----\n${text}")
  if(NOT text MATCHES "\n$")
    string(APPEND out "\n")
  endif()
endforeach()
file(WRITE "${OUT}" "${out}")
