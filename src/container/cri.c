/* cri.c — the CRI (runtime.v1) engine over gRPC on a unix socket.
 * Placeholder until the client lands: reports the engine as unavailable. */
#include <errno.h>

#include "container_int.h"

struct sk_ctr_engine *sk_ctr_cri_new(const struct sk_ctr_cfg *cfg, const char *socket,
				     struct sk_err *err)
{
	(void)cfg;
	sk_err_set(err, -ENOSYS, "%s: CRI engine not built", socket);
	return NULL;
}

struct sk_ctr_engine *sk_ctr_containerd_new(const struct sk_ctr_cfg *cfg, const char *socket,
					    struct sk_err *err)
{
	(void)cfg;
	sk_err_set(err, -ENOSYS, "%s: containerd engine not built", socket);
	return NULL;
}
