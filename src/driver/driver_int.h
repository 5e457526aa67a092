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

/* The syscall slots (numbers) whose exit event is `evt` (or shares its
 * name): fills up to max and returns how many. */
int sk_driver_slots_of(uint16_t evt, int *nrs, int max);
/* The exit event code of slot nr, 0 when the probe has none. */
uint16_t sk_driver_slot_evt(uint32_t nr);
/* Sets where the probe reads the flags and path of syscall nr in p; -ENOTSUP
 * when the kernel filter cannot read them for that syscall. */
int sk_driver_kf_args(uint32_t nr, struct sk_kf_pred *p);

#endif
