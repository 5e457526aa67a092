/* list_events.c — `saker --list-events [--markdown]`: the event table by
 * origin (syscall, tracepoint, plugin, meta events), each event with its
 * direction and parameters (and the names of flag parameters), in the
 * layout Falco's --list-events prints. Generated from the same event table
 * the decoder uses. */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/run_int.h"
#include "event/event.h"

/* The schema version of the event table we speak (Falco 0.44.1's driver). */
#define SK_SCHEMA_VERSION "4.3.0"

static const char *ptype_name(uint8_t t)
{
	static const char *const names[] = {
		[SK_PT_NONE] = "NONE", [SK_PT_INT8] = "INT8", [SK_PT_INT16] = "INT16",
		[SK_PT_INT32] = "INT32", [SK_PT_INT64] = "INT64", [SK_PT_UINT8] = "UINT8",
		[SK_PT_UINT16] = "UINT16", [SK_PT_UINT32] = "UINT32", [SK_PT_UINT64] = "UINT64",
		[SK_PT_CHARBUF] = "CHARBUF", [SK_PT_BYTEBUF] = "BYTEBUF", [SK_PT_ERRNO] = "ERRNO",
		[SK_PT_SOCKADDR] = "SOCKADDR", [SK_PT_SOCKTUPLE] = "SOCKTUPLE", [SK_PT_FD] = "FD",
		[SK_PT_PID] = "PID", [SK_PT_FDLIST] = "FDLIST", [SK_PT_FSPATH] = "FSPATH",
		[SK_PT_SYSCALLID] = "SYSCALLID", [SK_PT_SIGTYPE] = "SIGTYPE",
		[SK_PT_RELTIME] = "RELTIME", [SK_PT_ABSTIME] = "ABSTIME", [SK_PT_PORT] = "PORT",
		[SK_PT_L4PROTO] = "L4PROTO", [SK_PT_SOCKFAMILY] = "SOCKFAMILY", [SK_PT_BOOL] = "BOOL",
		[SK_PT_IPV4ADDR] = "IPV4ADDR", [SK_PT_DYN] = "DYNAMIC", [SK_PT_FLAGS8] = "FLAGS8",
		[SK_PT_FLAGS16] = "FLAGS16", [SK_PT_FLAGS32] = "FLAGS32", [SK_PT_UID] = "UID",
		[SK_PT_GID] = "GID", [SK_PT_DOUBLE] = "DOUBLE", [SK_PT_SIGSET] = "SIGSET",
		[SK_PT_CHARBUFARRAY] = "CHARBUFARRAY", [SK_PT_CHARBUF_PAIR_ARRAY] = "CHARBUF_PAIR_ARRAY",
		[SK_PT_IPV4NET] = "IPV4NET", [SK_PT_IPV6ADDR] = "IPV6ADDR", [SK_PT_IPV6NET] = "IPV6NET",
		[SK_PT_IPADDR] = "IPADDR", [SK_PT_IPNET] = "IPNET", [SK_PT_MODE] = "MODE",
		[SK_PT_FSRELPATH] = "FSRELPATH", [SK_PT_ENUMFLAGS8] = "ENUMFLAGS8",
		[SK_PT_ENUMFLAGS16] = "ENUMFLAGS16", [SK_PT_ENUMFLAGS32] = "ENUMFLAGS32",
		[SK_PT_FD32] = "FD32", [SK_PT_PID32] = "PID32",
	};
	return t < SK_ARRAY_LEN(names) && names[t] ? names[t] : "UNKNOWN";
}

static bool is_flags(uint8_t t)
{
	return t == SK_PT_FLAGS8 || t == SK_PT_FLAGS16 || t == SK_PT_FLAGS32 ||
	       t == SK_PT_ENUMFLAGS8 || t == SK_PT_ENUMFLAGS16 || t == SK_PT_ENUMFLAGS32;
}

static void print_event(const struct sk_event_info *e, bool markdown)
{
	char dir = e->dir == 'E' ? '>' : '<';
	if (markdown)
		printf("Yes | `%c` | `%s` | ", dir, e->name);
	else
		printf("%c %s(", dir, e->name);
	for (unsigned k = 0; k < e->nparams; k++) {
		const struct sk_param_info *p = &e->params[k];
		printf("%s%s **%s**", k ? ", " : "", ptype_name(p->type), p->name);
		if (is_flags(p->type) && p->flags) {
			printf(": ");
			for (unsigned i = 0; i < p->flags->count; i++)
				printf(markdown ? "%s*%s*" : "%s%s", i ? ", " : "", p->flags->names[i].name);
		}
	}
	printf(markdown ? "\n" : ")\n");
}

static void print_section(const char *title, uint32_t origin, bool markdown, bool first)
{
	printf("%s## %s\n\n", first ? "" : "\n\n", title);
	if (markdown)
		printf("Default | Dir | Name | Params \n:-------|:----|:-----|:-----\n");
	for (unsigned code = 2; code < SK_EVENT_MAX; code++) {
		const struct sk_event_info *e = &sk_event_table[code];
		if (!e->name || !strcmp(e->name, "NA") ||
		    (e->flags & (SK_EF_OLD_VERSION | SK_EF_UNUSED)) || !(e->category & origin))
			continue;
		print_event(e, markdown);
	}
}

int sk_app_list_events(bool markdown, bool names_only)
{
	if (names_only) {
		/* one name per line, each name once (enter and exit share it) */
		for (unsigned code = 2; code < SK_EVENT_MAX; code++) {
			const struct sk_event_info *e = &sk_event_table[code];
			if (!e->name || !strcmp(e->name, "NA") || (e->flags & (SK_EF_OLD_VERSION | SK_EF_UNUSED)))
				continue;
			bool seen = false;
			for (unsigned k = 2; k < code && !seen; k++) {
				const struct sk_event_info *o = &sk_event_table[k];
				seen = o->name && !(o->flags & (SK_EF_OLD_VERSION | SK_EF_UNUSED)) &&
				       !strcmp(o->name, e->name);
			}
			if (!seen)
				printf("%s\n", e->name);
		}
		return 0;
	}
	printf("The events below are valid for Falco *Schema Version*: %s\n", SK_SCHEMA_VERSION);
	print_section("Syscall events", SK_EC_SYSCALL, markdown, true);
	print_section("Tracepoint events", SK_EC_TRACEPOINT, markdown, false);
	print_section("Plugin events", SK_EC_PLUGIN, markdown, false);
	print_section("Metaevents", SK_EC_METAEVENT, markdown, false);
	return 0;
}
