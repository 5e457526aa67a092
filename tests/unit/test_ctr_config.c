/* test_ctr_config.c — the container plugin's init_config as saker reads it:
 * defaults, every key, and wrong input (bad JSON, wrong types, too many or
 * too long sockets) refused with a message naming the key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "container/container.h"

static void test_defaults(void **state)
{
	(void)state;
	struct sk_ctr_cfg c;
	sk_ctr_cfg_defaults(&c);
	assert_true(c.docker.enabled && c.podman.enabled && c.cri.enabled && c.containerd.enabled);
	assert_string_equal(c.docker.sockets[0], "/var/run/docker.sock");
	assert_string_equal(c.podman.sockets[0], "/run/podman/podman.sock");
	assert_int_equal(c.cri.nsockets, 4);
	assert_string_equal(c.cri.sockets[0], "/run/containerd/containerd.sock");
	assert_string_equal(c.containerd.sockets[0], "/run/host-containerd/containerd.sock");
	assert_int_equal(c.label_max_len, 100);
	assert_true(c.hook_create);
	assert_false(c.hook_start);
	/* no init_config at all keeps them */
	assert_int_equal(sk_ctr_cfg_from_json(&c, NULL, NULL), 0);
	assert_int_equal(sk_ctr_cfg_from_json(&c, "", NULL), 0);
}

static void test_keys(void **state)
{
	(void)state;
	struct sk_ctr_cfg c;
	sk_ctr_cfg_defaults(&c);
	struct sk_err err;
	const char *j = "{\"label_max_len\": 7, \"hooks\": [\"start\"], \"with_size\": true,"
			"\"unknown\": 1, \"engines\": {\"docker\": {\"enabled\": false},"
			"\"cri\": {\"sockets\": [\"/a.sock\", \"/b.sock\"]},"
			"\"podman\": {\"sockets\": []}, \"lxc\": {\"enabled\": true}}}";
	assert_int_equal(sk_ctr_cfg_from_json(&c, j, &err), 0);
	assert_int_equal(c.label_max_len, 7);
	assert_false(c.hook_create);
	assert_true(c.hook_start);
	assert_true(c.with_size);
	assert_false(c.docker.enabled);
	assert_int_equal(c.cri.nsockets, 2);
	assert_string_equal(c.cri.sockets[1], "/b.sock");
	assert_string_equal(c.podman.sockets[0], "/run/podman/podman.sock"); /* [] keeps defaults */
	assert_true(c.lxc);
}

static void test_bad_input(void **state)
{
	(void)state;
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{"{", "line 1"},
		{"[1]", "must be a map"},
		{"{\"label_max_len\": -1}", "label_max_len"},
		{"{\"label_max_len\": \"x\"}", "label_max_len"},
		{"{\"with_size\": 1}", "with_size must be a boolean"},
		{"{\"hooks\": \"create\"}", "hooks must be a list"},
		{"{\"engines\": []}", "engines must be a map"},
		{"{\"engines\": {\"docker\": 1}}", "engines.docker must be a map"},
		{"{\"engines\": {\"cri\": {\"enabled\": \"yes\"}}}", "engines.cri.enabled"},
		{"{\"engines\": {\"cri\": {\"sockets\": \"/x\"}}}", "engines.cri.sockets must be a list"},
		{"{\"engines\": {\"cri\": {\"sockets\": [1]}}}", "sockets[0] must be a string"},
		{"{\"engines\": {\"cri\": {\"sockets\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}}}",
		 "at most 8"},
		{"{\"label_max_len\": 1, \"label_max_len\": 2}", "duplicate"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sk_ctr_cfg c;
		sk_ctr_cfg_defaults(&c);
		struct sk_err err;
		sk_err_clear(&err);
		assert_true(sk_ctr_cfg_from_json(&c, bad[i].json, &err) < 0);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("%s: message '%s' lacks '%s'", bad[i].json, err.msg, bad[i].msg);
	}
	/* a socket path longer than the buffer */
	char j[600] = "{\"engines\": {\"cri\": {\"sockets\": [\"";
	size_t n = strlen(j);
	memset(j + n, 'a', 300);
	memcpy(j + n + 300, "\"]}}}", 6);
	struct sk_ctr_cfg c;
	sk_ctr_cfg_defaults(&c);
	struct sk_err err;
	assert_int_equal(sk_ctr_cfg_from_json(&c, j, &err), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
