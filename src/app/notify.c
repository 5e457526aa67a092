/* notify.c — readiness for systemd's Type=notify: once the probe is attached
 * and the /proc scan is done, saker says READY=1, so `systemctl start saker`
 * returns only when events are being watched (and units ordered After= it
 * start then). Uses libsystemd's sd_notify when built with it (Debian
 * libsystemd-dev); without it, a no-op. */
#include "app/notify.h"

#ifdef SK_HAVE_LIBSYSTEMD
#include <stdio.h>
#include <systemd/sd-daemon.h>

int sk_app_notify_ready(const char *status)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status ? status : "running");
	/* unset_environment=0: children (program_output) must not inherit it
	 * either way, but keeping it lets a later STATUS= update work */
	int r = sd_notify(0, msg);
	return r < 0 ? r : 0;
}
#else
int sk_app_notify_ready(const char *status)
{
	(void)status;
	return 0;
}
#endif
