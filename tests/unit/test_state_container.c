/* test_state_container.c — container metadata in state: the container
 * plugin's JSON records (added, updated, removed, malformed), the renderings
 * fields use, the lookup hook for unknown containers, the bound, and the
 * Deployment/ReplicaSet names derived from pod names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "state/state.h"

#define ID64 "5f1b6d304f99aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00ee11ff223344"
#define SB64 "87d7aaaabbbbccccddddeeeeffff000011112222333344445555666677778888"

static const char rec_pod[] =
	"{\"container\":{\"type\":6,\"id\":\"5f1b6d304f99\",\"full_id\":\"" ID64 "\","
	"\"name\":\"ping\",\"image\":\"localhost/ping:1\",\"imagerepo\":\"localhost/ping\","
	"\"imagetag\":\"1\",\"imageid\":\"abc\",\"imagedigest\":\"sha256:d\",\"privileged\":true,"
	"\"host_network\":true,\"pod_sandbox_id\":\"" SB64 "\",\"cni_json\":\"\",\"ip\":\"\","
	"\"labels\":{\"io.kubernetes.pod.name\":\"ping-74dbb488b6-6hwp6\","
	"\"io.kubernetes.pod.namespace\":\"falcotest\",\"io.kubernetes.pod.uid\":\"u-1\","
	"\"app\":\"ping\",\"annotation.x\":\"y\",\"flag\":\"\"},"
	"\"Mounts\":[{\"Source\":\"/tmp/x\",\"Destination\":\"/data\",\"Mode\":\"ro\",\"RW\":false,"
	"\"Propagation\":\"rprivate\"},{\"Source\":\"/var/run/docker.sock\",\"Destination\":"
	"\"/var/run/docker.sock\",\"Mode\":\"\",\"RW\":true,\"Propagation\":\"\"}]}}";

static const char rec_sandbox[] =
	"{\"container\":{\"type\":6,\"id\":\"87d7aaaabbbb\",\"full_id\":\"" SB64 "\","
	"\"is_pod_sandbox\":true,\"ip\":\"10.0.0.7\",\"cni_json\":\"{}\","
	"\"pod_sandbox_labels\":{\"app\":\"ping\",\"pod-template-hash\":\"74dbb488b6\"}}}";

static void test_owner_names(void **state)
{
	(void)state;
	char rs[64], dep[64];
	/* with the pod-template-hash label */
	assert_true(sk_k8s_owner_names("ping-74dbb488b6-6hwp6", "74dbb488b6", rs, sizeof(rs), dep,
				       sizeof(dep)));
	assert_string_equal(rs, "ping-74dbb488b6");
	assert_string_equal(dep, "ping");
	assert_true(sk_k8s_owner_names("my-web-app-5d8c7b9f6d-x7k2p", "5d8c7b9f6d", rs, sizeof(rs),
				       dep, sizeof(dep)));
	assert_string_equal(dep, "my-web-app");
	/* label present but not in the name: not a ReplicaSet pod of that hash */
	assert_false(sk_k8s_owner_names("ping-74dbb488b6-6hwp6", "111", rs, sizeof(rs), dep,
					sizeof(dep)));
	assert_string_equal(dep, "");
	/* without the label: only the generated shape counts */
	assert_true(sk_k8s_owner_names("ping-74dbb488b6-6hwp6", NULL, rs, sizeof(rs), dep,
				       sizeof(dep)));
	assert_string_equal(dep, "ping");
	assert_false(sk_k8s_owner_names("web-0", NULL, rs, sizeof(rs), dep, sizeof(dep)));
	assert_false(sk_k8s_owner_names("fluentd-x7k2p", NULL, rs, sizeof(rs), dep, sizeof(dep)));
	assert_false(sk_k8s_owner_names("kube-proxy-x7k2p", NULL, rs, sizeof(rs), dep, sizeof(dep)));
	/* vowels and 0/1/3 never occur in generated hashes */
	assert_false(sk_k8s_owner_names("app-abcdefgh-x7k2p", NULL, rs, sizeof(rs), dep, sizeof(dep)));
	assert_false(sk_k8s_owner_names("app-74dbb488b6-x7k2a", NULL, rs, sizeof(rs), dep, sizeof(dep)));
	assert_false(sk_k8s_owner_names("mypod", NULL, rs, sizeof(rs), dep, sizeof(dep)));
	assert_false(sk_k8s_owner_names(NULL, NULL, rs, sizeof(rs), dep, sizeof(dep)));
	assert_false(sk_k8s_owner_names("-74dbb488b6-6hwp6", NULL, rs, sizeof(rs), dep, sizeof(dep)));
}

static void test_record_parse(void **state)
{
	(void)state;
	struct sk_state *st = sk_state_new(NULL);
	assert_non_null(st);
	/* the sandbox first, as a runtime creates it */
	assert_int_equal(sk_state_container_json(st, rec_sandbox, sizeof(rec_sandbox) - 1, false), 0);
	assert_int_equal(sk_state_container_json(st, rec_pod, sizeof(rec_pod) - 1, false), 0);
	const struct sk_container *c = sk_state_container(st, "5f1b6d304f99");
	assert_non_null(c);
	const struct sk_container_meta *m = c->meta;
	assert_non_null(m);
	assert_ptr_equal(sk_state_event_container(st), m);
	assert_string_equal(m->type_name, "cri");
	assert_string_equal(m->full_id, ID64);
	assert_string_equal(m->name, "ping");
	assert_string_equal(m->image_repo, "localhost/ping");
	assert_true(m->privileged);
	assert_true(m->host_network);
	assert_false(m->host_pid);
	/* io.kubernetes.* and annotation.* left out; empty values without ':' */
	assert_string_equal(m->labels_str, "app:ping, flag");
	assert_string_equal(m->mounts_str,
			    "/tmp/x:/data:ro:false:rprivate,/var/run/docker.sock:/var/run/docker.sock::true:");
	assert_int_equal(m->nmounts, 2);
	assert_string_equal(m->pod_name, "ping-74dbb488b6-6hwp6");
	assert_string_equal(m->pod_ns, "falcotest");
	assert_string_equal(m->pod_uid, "u-1");
	/* the pod's labels come from the sandbox learnt first */
	assert_string_equal(m->pod_labels_str, "app:ping, pod-template-hash:74dbb488b6");
	assert_string_equal(m->rs_name, "ping-74dbb488b6");
	assert_string_equal(m->deploy_name, "ping");
	struct sk_state_stats s;
	sk_state_stats(st, &s);
	assert_int_equal(s.containers_meta, 2);
	sk_state_free(st);
}

static void test_record_update_remove(void **state)
{
	(void)state;
	struct sk_state *st = sk_state_new(NULL);
	assert_int_equal(sk_state_container_json(st, rec_pod, sizeof(rec_pod) - 1, false), 0);
	/* an update replaces the metadata */
	static const char upd[] = "{\"container\":{\"id\":\"5f1b6d304f99\",\"name\":\"renamed\"}}";
	assert_int_equal(sk_state_container_json(st, upd, sizeof(upd) - 1, false), 0);
	assert_string_equal(sk_state_container(st, "5f1b6d304f99")->meta->name, "renamed");
	/* removed: gone from the table, but the event still describes it */
	static const char rm[] = "{\"container\":{\"id\":\"5f1b6d304f99\"}}";
	assert_int_equal(sk_state_container_json(st, rm, sizeof(rm) - 1, true), 0);
	assert_null(sk_state_container(st, "5f1b6d304f99"));
	assert_non_null(sk_state_event_container(st));
	assert_string_equal(sk_state_event_container(st)->name, "renamed");
	/* malformed records change nothing */
	static const char *const bad[] = {"", "{", "[]", "{\"container\":1}", "{\"container\":{}}",
					  "{\"x\":{\"id\":\"a\"}}", "null"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sk_state_container_json(st, bad[i], strlen(bad[i]), false), -EINVAL);
	/* ids longer than a container id are refused (found by fuzzing: the
	 * table's key and the entry's id disagreed, and removal freed an entry
	 * the table still held) */
	char aaa[101];
	memset(aaa, 'a', 100);
	aaa[100] = 0;
	char longid[200];
	snprintf(longid, sizeof(longid), "{\"container\":{\"id\":\"%s\"}}", aaa);
	assert_int_equal(sk_state_container_json(st, longid, strlen(longid), false), -EINVAL);
	assert_int_equal(sk_state_container_json(st, longid, strlen(longid), true), -EINVAL);
	/* wrong types inside a record are ignored field by field */
	static const char odd[] = "{\"container\":{\"id\":\"abc\",\"name\":5,\"labels\":[1],"
				  "\"Mounts\":{\"a\":1},\"privileged\":\"yes\",\"type\":\"x\"}}";
	assert_int_equal(sk_state_container_json(st, odd, sizeof(odd) - 1, false), 0);
	const struct sk_container_meta *m = sk_state_container(st, "abc")->meta;
	assert_string_equal(m->name, "");
	assert_false(m->privileged);
	assert_int_equal(m->nlabels, 0);
	assert_int_equal(m->nmounts, 0);
	sk_state_free(st);
}

static int hook_calls;
static char hook_id[129];
static void hook(void *ctx, const char *id, const char *full_id, const char *type)
{
	(void)ctx;
	(void)id;
	(void)type;
	hook_calls++;
	snprintf(hook_id, sizeof(hook_id), "%s", full_id);
}

static void seed(struct sk_state *st, uint64_t tid, const char *cg, size_t cglen)
{
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	struct sk_scap_thread t;
	memset(&t, 0, sizeof(t));
	t.tid = t.pid = tid;
	t.ptid = 1;
	t.sid = t.vpgid = t.pgid = t.vtid = t.vpid = -1;
	t.comm = (struct sk_bytes){"sh", 2};
	t.exe = t.comm;
	t.cgroups = (struct sk_bytes){cg, (uint32_t)cglen};
	assert_int_equal(ops.thread(ops.ctx, &t), 0);
}

static void test_hook_and_thread_meta(void **state)
{
	(void)state;
	struct sk_state *st = sk_state_new(NULL);
	hook_calls = 0;
	sk_state_set_container_hook(st, hook, NULL);
	static const char cg[] = "cpu=/docker/" ID64 "\0memory=/docker/" ID64 "\0";
	seed(st, 100, cg, sizeof(cg) - 1);
	seed(st, 101, cg, sizeof(cg) - 1);
	assert_int_equal(hook_calls, 1); /* once per container */
	assert_string_equal(hook_id, ID64);
	const struct sk_thread *t = sk_state_thread(st, 100);
	assert_non_null(t);
	assert_null(sk_thread_container_meta(t)); /* not known yet */
	assert_int_equal(sk_state_container_json(st, rec_pod, sizeof(rec_pod) - 1, false), 0);
	assert_string_equal(sk_thread_container_meta(t)->name, "ping");
	/* host threads have the host record */
	seed(st, 200, "cpu=/\0", 6);
	const struct sk_container_meta *h = sk_thread_container_meta(sk_state_thread(st, 200));
	assert_ptr_equal(h, &sk_container_host_meta);
	assert_string_equal(h->name, "host");
	sk_state_free(st);
}

/* procexit of tid (the event builder, as the probe would send it) */
static void procexit(struct sk_state *st, int64_t tid, uint64_t ts)
{
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event_builder eb;
	sk_event_build_begin(&eb, &b, ts, tid, 186, 5);
	sk_event_build_u64(&eb, 0, 8);
	sk_event_build_u64(&eb, 0, 8);
	sk_event_build_u64(&eb, 0, 1);
	sk_event_build_u64(&eb, 0, 1);
	sk_event_build_u64(&eb, 0, 8);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_event ev;
	struct sk_err err;
	assert_int_equal(sk_event_decode(&ev, (const uint8_t *)b.data, b.len, &err), 0);
	sk_state_update(st, &ev);
	sk_state_post(st, &ev);
	sk_buf_done(&b);
}

/* The runtime's removal can be read before the exits of the container's
 * last threads (runtime records and probe events come by different paths):
 * the container then goes with its last thread instead of staying for good
 * (the soak found 268 such entries after an hour of churn). */
static void test_removed_before_last_exit(void **state)
{
	(void)state;
	struct sk_state *st = sk_state_new(NULL);
	static const char cg[] = "cpu=/docker/" ID64 "\0";
	seed(st, 100, cg, sizeof(cg) - 1);
	seed(st, 101, cg, sizeof(cg) - 1);
	assert_int_equal(sk_state_container_json(st, rec_pod, sizeof(rec_pod) - 1, false), 0);
	static const char rm[] = "{\"container\":{\"id\":\"5f1b6d304f99\"}}";
	assert_int_equal(sk_state_container_json(st, rm, sizeof(rm) - 1, true), 0);
	assert_non_null(sk_state_container(st, "5f1b6d304f99")); /* threads still point at it */
	procexit(st, 100, 2000000000);
	assert_non_null(sk_state_container(st, "5f1b6d304f99"));
	procexit(st, 101, 3000000000);
	assert_null(sk_state_container(st, "5f1b6d304f99"));
	struct sk_state_stats s;
	sk_state_stats(st, &s);
	assert_int_equal(s.containers, 0);
	/* a metadata record answered after the removal does not bring it back,
	 * but still describes the event that carries it */
	assert_int_equal(sk_state_container_json(st, rec_pod, sizeof(rec_pod) - 1, false), 0);
	assert_null(sk_state_container(st, "5f1b6d304f99"));
	assert_string_equal(sk_state_event_container(st)->name, "ping");
	sk_state_stats(st, &s);
	assert_int_equal(s.containers_late, 1);
	assert_int_equal(s.containers, 0);
	sk_state_free(st);
}

static void test_bound(void **state)
{
	(void)state;
	struct sk_state_config cfg = {.max_containers = 8};
	struct sk_state *st = sk_state_new(&cfg);
	char rec[256];
	for (int i = 0; i < 100; i++) {
		snprintf(rec, sizeof(rec), "{\"container\":{\"id\":\"c%010d\",\"name\":\"n%d\"}}", i, i);
		assert_int_equal(sk_state_container_json(st, rec, strlen(rec), false), 0);
	}
	struct sk_state_stats s;
	sk_state_stats(st, &s);
	assert_true(s.containers <= 8);
	assert_int_equal(s.containers_dropped, 92);
	/* the newest is there */
	assert_non_null(sk_state_container(st, "c0000000099"));
	sk_state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_names),
		cmocka_unit_test(test_record_parse),
		cmocka_unit_test(test_record_update_remove),
		cmocka_unit_test(test_hook_and_thread_meta),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_removed_before_last_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
