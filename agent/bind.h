/* SPDX-License-Identifier: MIT */
/*
 * bind.h — carry out a plan: write driver_override, unbind from a host
 * driver, probe, verify the driver link, and put back what failed. bind
 * never decides *what* to bind: the plan did.
 *
 * The work is split in two so the caller can load modules in between:
 *
 *   pt_bind_protect()  driver_override on every target (cheap; from now on
 *                      no host driver that loads can take the device)
 *   ... modules are loaded ...
 *   pt_bind_claim()    unbind (in a child, with a timeout), drivers_probe,
 *                      verify; on failure apply pt.onfail; then, under
 *                      pt.group=auto/strict, put back a group's other
 *                      members when one of them failed, since a group
 *                      bound in part cannot be given to a guest anyway.
 *
 * Outcomes go into each target (action, driver_before/after, error); a
 * one-line reason for each failure also goes into diag.
 */
#ifndef PT_BIND_H
#define PT_BIND_H

#include "config.h"
#include "pci.h"
#include "plan.h"
#include "sysfs.h"

struct pt_bind {
	const struct pt_sysfs *sys;
	struct pt_pci *pci;
	enum pt_onfail onfail;
	enum pt_group_policy policy;
	unsigned timeout_ms;
	struct pt_diag *diag;
};

int pt_bind_protect(const struct pt_bind *b, struct pt_plan *plan);
int pt_bind_claim(const struct pt_bind *b, struct pt_plan *plan);

/*
 * Give one function back to the host: unbind it from vfio if it is bound
 * there, restore its driver_override, reprobe, and if a host driver had
 * it before and did not take it back, bind that driver explicitly.
 * Returns 0 when the function ends as it was before pt (driver_before, or
 * none), else -errno with a reason in ret_err.
 */
int pt_bind_release(const struct pt_bind *b, struct pt_target *t, char *ret_err, size_t errsize);

/*
 * Runtime release: give every taken target that is on a vfio driver back
 * to the host — unbind it, clear driver_override, let load_host load the
 * host driver's module for its modalias (as udev would), and reprobe.
 * A target not on vfio is skipped with a note. Outcomes go into each
 * target (action released, driver_before/after) and diag.
 */
typedef void (*pt_load_host_fn)(void *userdata, const struct pt_pci_func *fn);
int pt_bind_give_back(const struct pt_bind *b, struct pt_plan *plan, pt_load_host_fn load_host,
		      void *userdata);

/* Does the driver's directory exist under /sys/bus/pci/drivers? */
bool pt_bind_driver_present(const struct pt_sysfs *sys, const char *driver);

#endif
