/* driver_int.h — private to the driver module: the compiled per-syscall
 * specs that the loader pushes into the probe's `specs` map. */
#ifndef SK_DRIVER_INT_H
#define SK_DRIVER_INT_H

#include "bpf/probe.h"
#include "driver/driver.h"

/* Fills specs[SK_PROBE_NR_MAX] for the events set in `want` (unwanted slots
 * get evt 0). Returns 0 or -EINVAL with err naming a broken table entry. */
int sk_driver_build_specs(const bool want[SK_EVENT_MAX], struct sk_probe_spec *specs,
			  struct sk_err *err) SK_WUR;

#endif
