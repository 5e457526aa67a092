/* notify.h — private to src/app: tells the service manager (systemd
 * Type=notify) that start-up is complete (notify.c). */
#ifndef SK_APP_NOTIFY_H
#define SK_APP_NOTIFY_H

/* Sends READY=1 (plus a STATUS= line) to $NOTIFY_SOCKET when saker runs
 * under a service manager; a no-op otherwise, or when built without
 * libsystemd. Returns 0, or a negative errno when the message could not be
 * sent (the caller logs it: the service would then time out starting). */
int sk_app_notify_ready(const char *status);

#endif
