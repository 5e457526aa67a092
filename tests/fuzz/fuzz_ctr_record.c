/* fuzz_ctr_record.c — libFuzzer target for container records: bytes read
 * from a capture's asyncevent "container" (or a runtime) are untrusted JSON.
 * Each input is applied as an added and then a removed record; the first
 * byte picks the order, so updates and removals of a known container run
 * too. The parser must never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "state/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sk_state *st;
	if (!st)
		st = sk_state_new(&(struct sk_state_config){.max_containers = 64});
	if (!size)
		return 0;
	bool remove_first = data[0] & 1;
	const char *json = (const char *)data + 1;
	size_t len = size - 1;
	(void)sk_state_container_json(st, json, len, remove_first);
	const struct sk_container_meta *m = sk_state_event_container(st);
	if (m) /* touch every rendering */
		(void)(strlen(m->labels_str) + strlen(m->mounts_str) + strlen(m->pod_labels_str) +
		       strlen(m->name) + (m->deploy_name ? strlen(m->deploy_name) : 0));
	(void)sk_state_container_json(st, json, len, !remove_first);
	return 0;
}
