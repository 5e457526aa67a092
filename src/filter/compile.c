/* compile.c — turns an AST into an evaluation tree (placeholder until the
 * fields module lands: compiling fails with a clear message). */
#include <errno.h>

#include "filter/filter_int.h"

struct sk_filter {
	int unused;
};

struct sk_filter *sk_filter_compile(const struct sk_ast *a, enum sk_source src,
				    struct sk_err *err)
{
	(void)a;
	(void)src;
	sk_err_set(err, -ENOSYS, "filter compilation is not implemented yet");
	return NULL;
}

void sk_filter_free(struct sk_filter *f) { (void)f; }

bool sk_filter_eval(const struct sk_filter *f, struct sk_eval_ctx *ctx)
{
	(void)f;
	(void)ctx;
	return false;
}
