#!/usr/bin/env python3
"""Generates src/fields/fields_table.c (the one field registry table) and
src/fields/fields_ids.h (one id per field) from shared/reference/fields.tsv
(syscall, generic and k8s_audit rows; each class file extracts its own).
The output is committed; rerun only when the reference table changes:

    scripts/gen_fields_table.py ../shared/reference src/fields
"""
import os
import re
import sys

ref = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'reference')
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), '..', 'src', 'fields')

# class column -> (name printed by --list, extractor of the class file)
CLASSES = {
    'evt': ('evt', 'sk_fx_evt'),
    'proc/thread': ('process', 'sk_fx_proc'),
    'user': ('user', 'sk_fx_user'),
    'group': ('group', 'sk_fx_user'),
    'fd': ('fd', 'sk_fx_fd'),
    'fdlist': ('fdlist', 'sk_fx_misc'),
    'fs.path': ('fs.path', 'sk_fx_misc'),
    'util': ('util', 'sk_fx_misc'),
    'container': ('container', 'sk_fx_container'),
    'proc': ('container', 'sk_fx_container'),
    'k8s': ('k8s', 'sk_fx_container'),
    # k8s_audit source (k8saudit and json plugins): fields_k8saudit.c
    'ka': ('ka', 'sk_fx_k8saudit'),
    'jevt': ('jevt', 'sk_fx_k8saudit'),
    'json': ('json', 'sk_fx_k8saudit'),
}
SOURCES = {'syscall': 'SK_SRC_SYSCALL', 'all': '-1', 'k8s_audit': 'SK_SRC_K8S_AUDIT',
           'k8s_audit (any JSON source)': 'SK_SRC_K8S_AUDIT'}
FLAGS = {'filter-only': 'SK_FF_FILTER_ONLY', 'print-only': 'SK_FF_PRINT_ONLY',
         'table-only': 'SK_FF_HIDDEN', 'deprecated': 'SK_FF_DEPRECATED',
         'no-rhs-field': 'SK_FF_NO_RHS', 'no-transformer': 'SK_FF_NO_TRANSFORMER',
         'list': 'SK_FF_LIST'}


# Registered (rules using them load) but never extracted yet: no value.
NOVALUE_EXACT = {
    'evt.plugininfo', 'evt.around', 'evt.count.procinfo',
    'evt.count.threadinfo', 'proc.aenv', 'thread.exectime', 'thread.totexectime', 'thread.cpu',
    'thread.cpu.user', 'thread.cpu.system', 'fd.cip.name', 'fd.sip.name', 'fd.lip.name',
    'fd.rip.name', 'util.cnt',
}
NOVALUE_PREFIX = ('evt.infra.', 'fdlist.', 'fs.path.', 'k8s.rc.', 'k8s.svc.', 'k8s.ns.id',
                  'k8s.ns.label', 'k8s.rs.id', 'k8s.rs.label', 'k8s.deployment.id',
                  'k8s.deployment.label', 'proc.is_container_')
# deprecated in the container plugin and never extracted there either
NOVALUE_CONTAINER = {'container.healthcheck', 'container.liveness_probe',
                     'container.readiness_probe'}
# beyond Falco 0.44: saker derives these from the pod name (docs/containers.md)
DERIVED_DESC = {
    'k8s.rs.name': 'ReplicaSet of the pod, derived from its name and pod-template-hash label (saker; never extracted by Falco 0.44).',
    'k8s.deployment.name': 'Deployment of the pod, derived from its ReplicaSet name (saker; never extracted by Falco 0.44).',
}


def novalue(name):
    return (name in NOVALUE_EXACT or name in NOVALUE_CONTAINER or
            name.startswith(NOVALUE_PREFIX))


def cstr(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


rows = []
with open(os.path.join(ref, 'fields.tsv')) as f:
    header = None
    for line in f:
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        cols = line.split('\t')
        if header is None:
            header = cols
            continue
        r = dict(zip(header, cols))
        if r['source'] not in SOURCES:
            continue
        rows.append(r)

ids = []
entries = []
for r in rows:
    name = r['name']
    ident = 'SK_F_' + re.sub(r'[^A-Za-z0-9]', '_', name).upper()
    ids.append(ident)
    flags = []
    for fl in r['flags'].split(','):
        fl = fl.strip()
        if fl and fl != '-':
            flags.append(FLAGS[fl])
    if r['is_list'] == 'yes' and 'SK_FF_LIST' not in flags:
        flags.append('SK_FF_LIST')
    arg = r['argument']
    if arg != '-':
        flags.append('SK_FF_ARG_REQUIRED' if arg.startswith('required') else 'SK_FF_ARG_ALLOWED')
        if 'dot form only' in arg or '.PARAMNAME' in arg or '.KEY' in arg or '.src' in arg:
            flags.append('SK_FF_ARG_DOTTED')
        if 'ancestor index' in arg or 'argument index' in arg or '(N numeric)' in arg \
                or '[T_ns]' in arg or '[FDNUM]' in arg or 'element index' in arg:
            flags.append('SK_FF_ARG_INDEX')
        if 'ancestor index' in arg:
            flags.append('SK_FF_ANY')
    if novalue(name):
        flags.append('SK_FF_NO_VALUE')
    cls, fx = CLASSES[r['class']]
    src = SOURCES[r['source']]
    entries.append('\t{{{{{name}, {cls}, SK_PT_{type}, {flags}, {src},\n\t  {desc}}},\n\t {ident}, {fx}}},'.format(
        name=cstr(name), cls=cstr(cls), type=r['type'], flags=' | '.join(flags) or '0', src=src,
        desc=cstr(DERIVED_DESC.get(name, r['description'])), ident=ident, fx=fx))

with open(os.path.join(out, 'fields_ids.h'), 'w') as f:
    f.write('/* fields_ids.h — GENERATED by scripts/gen_fields_table.py from the reference\n'
            ' * field table: one id per registered field. Private. */\n')
    f.write('#ifndef SK_FIELDS_IDS_H\n#define SK_FIELDS_IDS_H\n\nenum sk_field_id {\n')
    for i in ids:
        f.write('\t%s,\n' % i)
    f.write('\tSK_F_COUNT\n};\n\n#endif\n')

with open(os.path.join(out, 'fields_table.c'), 'w') as f:
    f.write('/* fields_table.c — GENERATED by scripts/gen_fields_table.py from the reference\n'
            ' * field table (names, types, argument syntax, flags; descriptions are our\n'
            ' * own). The one registry of the fields of every source; class files extract. */\n')
    f.write('#include "fields_priv.h"\n\n')
    f.write('const struct sk_field_def sk_field_defs[] = {\n')
    f.write('\n'.join(entries))
    f.write('\n};\n\nconst size_t sk_field_defs_count = SK_ARRAY_LEN(sk_field_defs);\n')
