/* test_fields_k8saudit.c — values of the ka.*, jevt.* and evt.* fields on
 * hand-written audit events, rendered as outputs show them (lists in
 * parentheses, <NA> for no value), and their typing in the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "fields/fields.h"

static const char *const POD =
	"{\"kind\":\"Event\",\"auditID\":\"a1\",\"stage\":\"ResponseComplete\",\"verb\":\"create\","
	"\"requestURI\":\"/api/v1/namespaces/ns1/pods?dryRun=All&x=%41+b&e\","
	"\"user\":{\"username\":\"alice\",\"groups\":[\"g1\",\"g2\"]},"
	"\"impersonatedUser\":{\"username\":\"bob\"},\"userAgent\":\"kubectl\","
	"\"objectRef\":{\"resource\":\"pods\",\"namespace\":\"ns1\"},"
	"\"responseStatus\":{\"code\":201},"
	"\"requestObject\":{\"spec\":{\"hostNetwork\":true,\"hostPID\":false,"
	"\"securityContext\":{\"runAsUser\":1000,\"runAsGroup\":7,\"fsGroup\":3,"
	"\"supplementalGroups\":[1,2]},"
	"\"containers\":[{\"name\":\"c1\",\"image\":\"reg:5000/app:1.0\",\"args\":[\"-a\",\"b\"],"
	"\"command\":[\"sh\",\"-c\"],\"ports\":[{\"hostPort\":80},{\"containerPort\":8080}],"
	"\"securityContext\":{\"privileged\":true,\"runAsUser\":0,\"procMount\":\"Unmasked\","
	"\"capabilities\":{\"add\":[\"NET_ADMIN\",\"SYS_TIME\"]}}},"
	"{\"name\":\"c2\",\"image\":\"nginx@sha256:ab\",\"securityContext\":{\"privileged\":false,"
	"\"readOnlyRootFilesystem\":true,\"allowPrivilegeEscalation\":false}}],"
	"\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/etc/kubernetes\"}},"
	"{\"name\":\"f\",\"flexVolume\":{\"driver\":\"d1\"}},{\"name\":\"s\",\"secret\":{}}]}},"
	"\"responseObject\":{\"metadata\":{\"name\":\"p1\"}},"
	"\"annotations\":{\"authorization.k8s.io/decision\":\"allow\","
	"\"authorization.k8s.io/reason\":\"RBAC\",\"cluster_name\":\"prod\"},"
	"\"stageTimestamp\":\"2018-10-25T14:09:12.581541Z\"}";

static const char *const BINDING =
	"{\"kind\":\"Event\",\"auditID\":\"b\",\"verb\":\"create\","
	"\"objectRef\":{\"resource\":\"clusterrolebindings\",\"name\":\"crb\"},"
	"\"requestObject\":{\"roleRef\":{\"name\":\"cluster-admin\"},\"subjects\":["
	"{\"kind\":\"User\",\"name\":\"u\"},{\"kind\":\"ServiceAccount\",\"namespace\":\"kube-system\","
	"\"name\":\"sa\"},{\"kind\":\"Group\",\"name\":\"g\"}],"
	"\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/exec\"],\"verbs\":[\"*\"]},"
	"{\"nonResourceURLs\":[\"/x\"],\"verbs\":[\"get\"],\"sourceIPs\":[\"1.2.3.4\"]}],"
	"\"data\":{\"k\":\"v\",\"n\":1}}}";

struct env {
	struct sk_eval_ctx ctx;
	json_t *doc;
	struct sk_buf out;
};

static void load(struct env *e, const char *text)
{
	json_decref(e->doc);
	e->doc = json_loads(text, 0, NULL);
	assert_non_null(e->doc);
	sk_eval_ctx_set_audit(&e->ctx, e->doc, 7, 1540476552581541000ULL);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	sk_eval_ctx_init(&e->ctx, NULL);
	sk_buf_init(&e->out, 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	json_decref(e->doc);
	sk_buf_done(&e->out);
	sk_eval_ctx_done(&e->ctx);
	free(e);
	return 0;
}

/* The field's text rendering ("<NA>" when it has no value). */
static const char *fmt(struct env *e, const char *name, const char *arg)
{
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_fieldref *f = sk_fieldref_new(SK_SRC_K8S_AUDIT, name, arg, &err);
	if (!f)
		fail_msg("%s: %s", name, err.msg);
	sk_buf_reset(&e->out);
	assert_true(sk_fieldref_format(f, &e->ctx, &e->out) >= 0);
	sk_fieldref_free(f);
	return sk_buf_cstr(&e->out);
}

#define EQ(name, arg, want) assert_string_equal(fmt(e, name, arg), want)

static void test_pod(void **state)
{
	struct env *e = *state;
	load(e, POD);
	EQ("ka.auditid", NULL, "a1");
	EQ("ka.stage", NULL, "ResponseComplete");
	EQ("ka.verb", NULL, "create");
	EQ("ka.user.name", NULL, "alice");
	EQ("ka.user.groups", NULL, "(g1,g2)");
	EQ("ka.impuser.name", NULL, "bob");
	EQ("ka.useragent", NULL, "kubectl");
	EQ("ka.uri.param", "dryRun", "All");
	EQ("ka.uri.param", "x", "A b");
	EQ("ka.uri.param", "e", "");
	EQ("ka.uri.param", "nosuch", "<NA>");
	EQ("ka.target.resource", NULL, "pods");
	EQ("ka.target.namespace", NULL, "ns1");
	EQ("ka.target.name", NULL, "<NA>");
	EQ("ka.target.subresource", NULL, "<NA>");
	EQ("ka.target.pod.name", NULL, "p1");
	EQ("ka.resp.name", NULL, "p1");
	EQ("ka.response.code", NULL, "201");
	EQ("ka.response.reason", NULL, "<NA>");
	EQ("ka.auth.decision", NULL, "allow");
	EQ("ka.auth.reason", NULL, "RBAC");
	EQ("ka.cluster.name", NULL, "prod");
	EQ("ka.req.pod.host_network", NULL, "true");
	EQ("ka.req.container.host_network", NULL, "true");
	EQ("ka.req.pod.host_pid", NULL, "false");
	EQ("ka.req.pod.host_ipc", NULL, "<NA>");
	EQ("ka.req.pod.run_as_user", NULL, "1000");
	EQ("ka.req.pod.run_as_group", NULL, "7");
	EQ("ka.req.pod.fs_group", NULL, "3");
	EQ("ka.req.pod.supplemental_groups", NULL, "(1,2)");
	EQ("ka.req.pod.containers.name", NULL, "(c1,c2)");
	EQ("ka.req.pod.containers.image", NULL, "(reg:5000/app:1.0,nginx@sha256:ab)");
	EQ("ka.req.pod.containers.image", "1", "(nginx@sha256:ab)");
	EQ("ka.req.pod.containers.image", "2", "<NA>");
	EQ("ka.req.pod.containers.image.repository", NULL, "(reg,nginx)");
	EQ("ka.req.container.image", NULL, "reg:5000/app:1.0");
	EQ("ka.req.container.image.repository", NULL, "reg");
	EQ("ka.req.pod.containers.args", NULL, "(-a b)");
	EQ("ka.req.pod.containers.command", NULL, "(sh -c)");
	EQ("ka.req.pod.containers.host_port", NULL, "(80,8080)");
	EQ("ka.req.pod.containers.privileged", NULL, "(true,false)");
	EQ("ka.req.container.privileged", NULL, "true");
	EQ("ka.req.pod.containers.read_only_fs", NULL, "(true)");
	EQ("ka.req.pod.containers.allow_privilege_escalation", NULL, "(false)");
	EQ("ka.req.pod.containers.run_as_user", NULL, "(0)");
	EQ("ka.req.pod.containers.eff_run_as_user", NULL, "(0,1000)");
	EQ("ka.req.pod.containers.eff_run_as_group", NULL, "(7,7)");
	EQ("ka.req.pod.containers.run_as_group", NULL, "<NA>");
	EQ("ka.req.pod.containers.proc_mount", NULL, "(Unmasked)");
	EQ("ka.req.pod.containers.add_capabilities", NULL, "([\"NET_ADMIN\",\"SYS_TIME\"])");
	EQ("ka.req.pod.initContainers.image", NULL, "<NA>");
	EQ("ka.req.pod.ephemeralContainers.privileged", NULL, "<NA>");
	EQ("ka.req.pod.volumes.hostpath", NULL, "(/etc/kubernetes)");
	EQ("ka.req.pod.volumes.flexvolume_driver", NULL, "(d1)");
	EQ("ka.req.pod.volumes.volume_type", NULL, "(hostPath,flexVolume,secret)");
	EQ("ka.req.volume.hostpath", "/etc/kubernetes", "true");
	EQ("ka.req.volume.hostpath", "/etc*", "true");
	EQ("ka.req.volume.hostpath", "/etc", "false");
	EQ("ka.req.service.type", NULL, "<NA>");
	EQ("jevt.value", "/objectRef/resource", "pods");
	EQ("jevt.value", "user/groups/1", "g2");
	EQ("jevt.value", "/annotations/authorization.k8s.io~1decision", "allow");
	EQ("jevt.value", "/responseStatus", "{\"code\":201}");
	EQ("jevt.value", "/nosuch", "<NA>");
	EQ("json.value", "/verb", "create");
	EQ("jevt.rawtime", NULL, "1540476552581541000");
	EQ("evt.source", NULL, "k8s_audit");
	EQ("evt.hostname", NULL, "test-host"); /* $FALCO_HOSTNAME, set in main */
	EQ("evt.num", NULL, "7");
	EQ("evt.rawtime", NULL, "1540476552581541000");
	EQ("evt.time.iso8601", NULL, "2018-10-25T14:09:12.581541000+0000");
	const char *obj = fmt(e, "jevt.obj", NULL);
	assert_true(!strncmp(obj, "{\n  \"kind\": \"Event\",\n  \"auditID\": \"a1\"", 38));
}

static void test_binding_and_role(void **state)
{
	struct env *e = *state;
	load(e, BINDING);
	EQ("ka.req.binding.role", NULL, "cluster-admin");
	EQ("ka.req.binding.subjects", NULL,
	   "({\"kind\":\"User\",\"name\":\"u\"},{\"kind\":\"ServiceAccount\",\"namespace\":"
	   "\"kube-system\",\"name\":\"sa\"},{\"kind\":\"Group\",\"name\":\"g\"})");
	EQ("ka.req.binding.subjects.user_names", NULL, "(u)");
	EQ("ka.req.binding.subjects.serviceaccount_names", NULL, "(sa)");
	EQ("ka.req.binding.subjects.serviceaccount_ns_names", NULL, "(kube-system:sa)");
	EQ("ka.req.binding.subjects.group_names", NULL, "(g)");
	EQ("ka.req.binding.subject.has_name", "anything", "true");
	EQ("ka.req.role.rules.verbs", NULL, "(*,get)");
	EQ("ka.req.role.rules.verbs", "1", "(get)");
	EQ("ka.req.role.rules.resources", NULL, "(pods,pods/exec)");
	EQ("ka.req.role.rules.apiGroups", NULL, "()");
	EQ("ka.req.role.rules.nonResourceURLs", NULL, "(/x)");
	EQ("ka.sourceips", NULL, "(1.2.3.4)");
	EQ("ka.req.configmap.name", NULL, "crb");
	EQ("ka.req.configmap.obj", NULL, "{\"k\":\"v\",\"n\":1}");
	EQ("ka.target.pod.name", NULL, "<NA>");
	EQ("ka.req.pod.containers.name", NULL, "<NA>");
	EQ("ka.req.container.privileged", NULL, "<NA>");
	/* without a top-level auditID: no ka.* value, jevt.* still works */
	load(e, "{\"kind\":\"Event\",\"verb\":\"get\"}");
	EQ("ka.verb", NULL, "<NA>");
	EQ("jevt.value", "/verb", "get");
	EQ("jevt.value", "", "{\"kind\":\"Event\",\"verb\":\"get\"}");
}

static void test_registry(void **state)
{
	(void)state;
	size_t m;
	const struct sk_field_info *f = sk_fields_lookup(SK_SRC_K8S_AUDIT, "ka.req.pod.containers.image", &m);
	assert_non_null(f);
	assert_int_equal(f->type, SK_PT_CHARBUF);
	assert_true(f->flags & SK_FF_LIST);
	assert_true(f->flags & SK_FF_ARG_INDEX);
	assert_null(sk_fields_lookup(SK_SRC_SYSCALL, "ka.verb", &m));
	struct sk_err err;
	sk_err_clear(&err);
	assert_null(sk_fieldref_new(SK_SRC_K8S_AUDIT, "jevt.value", NULL, &err));
	assert_null(sk_fieldref_new(SK_SRC_K8S_AUDIT, "ka.req.pod.containers.image", "x", &err));
	assert_null(sk_fieldref_new(SK_SRC_K8S_AUDIT, "ka.verb", "1", &err));
}

int main(void)
{
	setenv("FALCO_HOSTNAME", "test-host", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pod, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binding_and_role, setup, teardown),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
