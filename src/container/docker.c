/* docker.c — the Docker Engine API engine (dockerd and podman's
 * Docker-compatible service) over a unix socket. Placeholder until the
 * client lands: reports the engine as unavailable. */
#include <errno.h>

#include "container_int.h"

struct sk_ctr_engine *sk_ctr_docker_new(const struct sk_ctr_cfg *cfg, const char *socket,
					int type, struct sk_err *err)
{
	(void)cfg;
	(void)type;
	sk_err_set(err, -ENOSYS, "%s: Docker API engine not built", socket);
	return NULL;
}
