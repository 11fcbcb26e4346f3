/* SPDX-License-Identifier: MIT */
/* bind.c — carry out a plan; see bind.h. */
#include <errno.h>
#include <stdio.h>

#include "bind.h"
#include "watch.h"

static int fn_path(const struct pt_bind *b, const struct pt_pci_func *f, const char *attr,
		   char *buf, size_t size)
{
	return pt_sysfs_path(b->sys, buf, size, "/sys/bus/pci/devices/%s/%s", f->name, attr);
}

bool pt_bind_driver_present(const struct pt_sysfs *sys, const char *driver)
{
	char path[PATH_MAX];

	if (pt_sysfs_path(sys, path, sizeof(path), "/sys/bus/pci/drivers/%s", driver) < 0)
		return false;
	return pt_sysfs_exists(sys, path);
}

static int set_override(const struct pt_bind *b, struct pt_pci_func *f, const char *value)
{
	char path[PATH_MAX];
	int r;

	r = fn_path(b, f, "driver_override", path, sizeof(path));
	if (r < 0)
		return r;
	/* An empty value cannot be written; a lone newline clears it. */
	r = pt_sysfs_write(b->sys, path, value[0] ? value : "\n");
	if (r < 0)
		return r;
	f->override = value; /* interned or static, as every caller's */
	return 0;
}

/* Write the function's address to a bus or driver attribute, guarded. */
static int write_addr(const struct pt_bind *b, const struct pt_pci_func *f, const char *path)
{
	return pt_sysfs_write_guarded(b->sys, path, f->name, b->timeout_ms);
}

static const char *errtext(int r, unsigned timeout_ms, char *buf, size_t size)
{
	if (r == -ETIMEDOUT)
		snprintf(buf, size, "timed out after %u ms", timeout_ms);
	else
		snprintf(buf, size, "%s", strerror(-r));
	return buf;
}

static int unbind(const struct pt_bind *b, struct pt_pci_func *f, char *err, size_t errsize)
{
	const char *was = f->driver; /* interned: outlives the unbind */
	char path[PATH_MAX], e[64];
	int r;

	r = fn_path(b, f, "driver/unbind", path, sizeof(path));
	if (r >= 0)
		r = write_addr(b, f, path);
	if (r < 0) {
		snprintf(err, errsize, "unbind from %s: %s", was,
			 errtext(r, b->timeout_ms, e, sizeof(e)));
		if (r == -ETIMEDOUT)
			snprintf(err + strlen(err), errsize - strlen(err),
				 " (the driver hangs in its remove routine)");
		(void)pt_pci_reload_driver(b->pci, f);
		return r;
	}
	r = pt_pci_reload_driver(b->pci, f);
	if (r < 0) {
		snprintf(err, errsize, "cannot read the driver link after unbind: %s",
			 strerror(-r));
		return -EBADFD; /* unbound, most likely; the caller cannot know */
	}
	if (f->driver[0] && streq(f->driver, was)) {
		snprintf(err, errsize, "still bound to %s after unbind", was);
		return -EBUSY;
	}
	return 0;
}

/* drivers_probe for a device whose driver_override names the vfio driver:
 * only that driver's probe can run, so no child process guards it (the
 * supervisor still watches the worker). */
static int probe_own(const struct pt_bind *b, struct pt_pci_func *f)
{
	char path[PATH_MAX];
	int r;

	r = pt_sysfs_path(b->sys, path, sizeof(path), "/sys/bus/pci/drivers_probe");
	if (r < 0)
		return r;
	return pt_sysfs_write(b->sys, path, f->name);
}

static int probe(const struct pt_bind *b, struct pt_pci_func *f)
{
	char path[PATH_MAX];
	int r;

	r = pt_sysfs_path(b->sys, path, sizeof(path), "/sys/bus/pci/drivers_probe");
	if (r < 0)
		return r;
	return write_addr(b, f, path);
}

int pt_bind_protect(const struct pt_bind *b, struct pt_plan *plan)
{
	for (size_t i = 0; i < plan->n_targets; i++) {
		struct pt_target *t = &plan->targets[i];
		struct pt_pci_func *f = t->fn;
		int r;

		if (!t->take || t->action != PT_ACT_PENDING)
			continue;
		t->driver_before = f->driver;
		t->override_before = f->override;
		if (streq(f->override, t->driver))
			continue;
		r = set_override(b, f, t->driver);
		if (r < 0) {
			t->action = PT_ACT_FAILED;
			pt_target_error(t, "cannot write driver_override: %s; nothing was changed",
					strerror(-r));
			pt_target_report(b->diag, PT_SEV_ERROR, t);
			continue;
		}
		t->override_written = true;
		pt_watch_journal(PT_J_OVERRIDE, f->name, t->override_before);
	}
	return 0;
}

/*
 * When the driver link cannot be read, giving back still has to happen:
 * every step is a write whose failure is harmless when it does not apply
 * (unbind from a driver the device is not on: ENODEV; bind while bound:
 * EBUSY), so do them all, in the order that puts the device back.
 */
static int release_blind(const struct pt_bind *b, struct pt_target *t, int why, char *err,
			 size_t errsize)
{
	struct pt_pci_func *f = t->fn;
	char path[PATH_MAX];

	if (!pt_driver_is_vfio(t->driver_before) &&
	    pt_sysfs_path(b->sys, path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind",
			  t->driver) >= 0 &&
	    write_addr(b, f, path) < 0) {
		/* not on it: nothing to undo there */
	}
	if (set_override(b, f, t->override_before) < 0) {
		/* reported below with the rest */
	}
	if (probe(b, f) < 0) {
		/* the explicit bind below is the fallback */
	}
	if (t->driver_before[0] &&
	    pt_sysfs_path(b->sys, path, sizeof(path), "/sys/bus/pci/drivers/%s/bind",
			  t->driver_before) >= 0 &&
	    write_addr(b, f, path) < 0) {
		/* already bound, or the driver refused: the link says which */
	}
	if (pt_pci_reload_driver(b->pci, f) == 0 &&
	    (streq(f->driver, t->driver_before) || (!t->driver_before[0] && !f->driver[0])))
		return 0;
	snprintf(err, errsize,
		 "cannot read the driver link (%s): put back as far as writes go, "
		 "not verified",
		 strerror(-why));
	return why;
}

int pt_bind_release(const struct pt_bind *b, struct pt_target *t, char *err, size_t errsize)
{
	struct pt_pci_func *f = t->fn;
	char path[PATH_MAX], e[64];
	int r;

	err[0] = '\0';
	r = pt_pci_reload_driver(b->pci, f);
	if (r < 0)
		return release_blind(b, t, r, err, errsize);
	if (f->driver[0] && (streq(f->driver, t->driver) || pt_driver_is_vfio(f->driver)) &&
	    !pt_driver_is_vfio(t->driver_before)) {
		r = unbind(b, f, err, errsize);
		if (r == -EBADFD)
			return release_blind(b, t, -EIO, err, errsize);
		if (r < 0)
			return r;
	}
	if (!streq(f->override, t->override_before)) {
		r = set_override(b, f, t->override_before);
		if (r < 0) {
			snprintf(err, errsize, "cannot restore driver_override: %s", strerror(-r));
			return r;
		}
	}
	if (!f->driver[0]) {
		/* Let the host's driver have it again. */
		r = probe(b, f);
		if (pt_pci_reload_driver(b->pci, f) < 0)
			return release_blind(b, t, -EIO, err, errsize);
		if (!f->driver[0] && t->driver_before[0] &&
		    pt_bind_driver_present(b->sys, t->driver_before)) {
			r = pt_sysfs_path(b->sys, path, sizeof(path),
					  "/sys/bus/pci/drivers/%s/bind", t->driver_before);
			if (r >= 0)
				r = write_addr(b, f, path);
			if (pt_pci_reload_driver(b->pci, f) < 0)
				return release_blind(b, t, -EIO, err, errsize);
		}
		if (!f->driver[0] && t->driver_before[0]) {
			snprintf(err, errsize, "%s did not take it back (%s)", t->driver_before,
				 r < 0 ? errtext(r, b->timeout_ms, e, sizeof(e))
				       : "no error given");
			return -ENODEV;
		}
	}
	return 0;
}

/* Bring one target onto its vfio driver. On failure t->error says why. */
static int claim(const struct pt_bind *b, struct pt_target *t)
{
	struct pt_pci_func *f = t->fn;
	char e[64];
	int r, pr;

	r = pt_pci_reload_driver(b->pci, f);
	if (r < 0) {
		pt_target_error(t, "cannot read the driver link: %s", strerror(-r));
		return r;
	}
	if (!streq(f->driver, t->driver)) {
		if (!pt_bind_driver_present(b->sys, t->driver)) {
			pt_target_error(t,
					"the %s driver is not available (its module did not load)",
					t->driver);
			return -ENOENT;
		}
		if (f->driver[0]) {
			const char *host = f->driver; /* interned: outlives the unbind */
			char uerr[PT_TARGET_ERROR_MAX];

			r = unbind(b, f, uerr, sizeof(uerr));
			if (r < 0) {
				pt_target_error(t, "%s", uerr);
				return r;
			}
			pt_watch_journal(PT_J_UNBOUND, f->name, host);
		}
		if (!streq(f->driver, t->driver)) {
			pr = streq(f->override, t->driver) ? probe_own(b, f) : probe(b, f);
			r = pt_pci_reload_driver(b->pci, f);
			if (r < 0) {
				pt_target_error(t, "cannot read the driver link after probing: %s",
						strerror(-r));
				return r;
			}
			/* The kernel reports success for drivers_probe even
			 * when no driver took the device: the link decides. */
			if (!streq(f->driver, t->driver)) {
				if (pr < 0)
					pt_target_error(t, "drivers_probe: %s",
							errtext(pr, b->timeout_ms, e, sizeof(e)));
				else
					pt_target_error(
						t,
						"%s did not take it (driver now: %s); the kernel "
						"log says why",
						t->driver, f->driver[0] ? f->driver : "none");
				return pr < 0 ? pr : -ENODEV;
			}
		}
	}
	if (streq(t->driver_before, t->driver) ||
	    (pt_driver_is_vfio(t->driver_before) && pt_driver_is_vfio(f->driver)))
		t->action = PT_ACT_ALREADY;
	else if (t->driver_before[0])
		t->action = PT_ACT_RECOVERED;
	else
		t->action = PT_ACT_BOUND;
	return 0;
}

static void fail(const struct pt_bind *b, struct pt_target *t)
{
	char err[PT_TARGET_ERROR_MAX];

	if (b->onfail == PT_ONFAIL_KEEP) {
		t->action = PT_ACT_KEPT;
		(void)pt_pci_reload_driver(b->pci, t->fn);
		pt_target_error_append(t, "; left %s (pt.onfail=keep)",
				       t->fn->driver[0] ? "with its driver_override set"
							: "unclaimed");
		pt_target_report(b->diag, PT_SEV_ERROR, t);
		return;
	}
	if (pt_bind_release(b, t, err, sizeof(err)) == 0) {
		t->action = PT_ACT_RELEASED;
		pt_target_error_append(t, "; given back to %s",
				       t->fn->driver[0] ? t->fn->driver : "the host");
	} else {
		t->action = PT_ACT_FAILED;
		pt_target_error_append(t, "; could not be given back: %s", err);
	}
	pt_target_report(b->diag, PT_SEV_ERROR, t);
}

static bool failed(const struct pt_target *t)
{
	return t->action == PT_ACT_RELEASED || t->action == PT_ACT_KEPT ||
	       t->action == PT_ACT_FAILED;
}

/* Under auto and strict, a group bound in part is of no use to a guest
 * and takes devices from the host: put the rest back too. */
static void rollback_groups(const struct pt_bind *b, struct pt_plan *plan)
{
	for (size_t i = 0; i < plan->n_groups; i++) {
		struct pt_group *g = &plan->groups[i];
		const struct pt_target *bad = NULL;

		for (size_t j = 0; j < g->n_members && !bad; j++) {
			struct pt_target *t = pt_plan_find(plan, g->members[j]);

			if (t && t->take && failed(t))
				bad = t;
		}
		if (!bad)
			continue;
		g->viable = false;
		for (size_t j = 0; j < g->n_members; j++) {
			struct pt_target *t = pt_plan_find(plan, g->members[j]);
			char err[PT_TARGET_ERROR_MAX];

			if (!t || (t->action != PT_ACT_BOUND && t->action != PT_ACT_RECOVERED))
				continue;
			if (b->onfail == PT_ONFAIL_KEEP) {
				pt_diag_warn(b->diag,
					     "%s stays on %s although %s in IOMMU group %d failed "
					     "(pt.onfail=keep)",
					     t->fn->name, t->driver, bad->fn->name, g->group);
				continue;
			}
			if (pt_bind_release(b, t, err, sizeof(err)) == 0) {
				t->action = PT_ACT_RELEASED;
				pt_target_error(
					t, "given back to %s because %s in IOMMU group %d failed",
					t->fn->driver[0] ? t->fn->driver : "the host",
					bad->fn->name, g->group);
			} else {
				t->action = PT_ACT_FAILED;
				pt_target_error(
					t,
					"%s in IOMMU group %d failed, and this one could not be "
					"given back: %s",
					bad->fn->name, g->group, err);
			}
			pt_target_report(b->diag, PT_SEV_ERROR, t);
		}
	}
}

int pt_bind_claim(const struct pt_bind *b, struct pt_plan *plan)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < plan->n_targets; i++) {
		struct pt_target *t = &plan->targets[i];

		if (!t->take || t->action != PT_ACT_PENDING)
			continue;
		if (claim(b, t) < 0)
			fail(b, t);
	}
	if (b->policy != PT_GROUP_WARN)
		rollback_groups(b, plan);

	for (size_t i = 0; i < plan->n_targets; i++) {
		struct pt_target *t = &plan->targets[i];
		struct pt_pci_func *f = t->fn;

		if (!(f->loaded & PT_PCI_STATE))
			continue;
		/* Re-read, to record what really ended there; when the link
		 * cannot be read now, the last reading stands. */
		if (pt_pci_reload_driver(b->pci, f) < 0 && t->take &&
		    (t->action == PT_ACT_BOUND || t->action == PT_ACT_RECOVERED ||
		     t->action == PT_ACT_ALREADY)) {
			t->driver_after = t->driver;
			pt_diag_warn(b->diag,
				     "%s: its driver link could not be read again at the end; "
				     "recorded as last seen (%s)",
				     f->name, t->driver);
			continue;
		}
		t->driver_after = f->driver;
		if (!t->take)
			t->driver_before = f->driver;
		if (f->iommu_group >= 0 && pt_driver_is_vfio(f->driver) &&
		    pt_sysfs_path(b->sys, path, sizeof(path), "/dev/vfio/%d", f->iommu_group) >=
			    0 &&
		    pt_sysfs_exists(b->sys, path))
			snprintf(t->vfio_node, sizeof(t->vfio_node), "/dev/vfio/%d",
				 f->iommu_group);
	}
	return 0;
}

int pt_bind_give_back(const struct pt_bind *b, struct pt_plan *plan, pt_load_host_fn load_host,
		      void *userdata)
{
	for (size_t i = 0; i < plan->n_targets; i++) {
		struct pt_target *t = &plan->targets[i];
		struct pt_pci_func *f = t->fn;
		char err[PT_TARGET_ERROR_MAX];
		int r;

		if (!t->take)
			continue;
		t->driver_before = f->driver;
		if (!pt_driver_is_vfio(f->driver)) {
			t->action = PT_ACT_SKIPPED;
			pt_target_error(t, "not on a vfio driver (%s): nothing to give back",
					f->driver[0] ? f->driver : "no driver");
			pt_target_report(b->diag, PT_SEV_WARNING, t);
			t->driver_after = f->driver;
			continue;
		}
		err[0] = '\0';
		r = unbind(b, f, err, sizeof(err));
		if (r >= 0 && f->override[0]) {
			r = set_override(b, f, "");
			if (r < 0)
				snprintf(err, sizeof(err), "cannot clear driver_override: %s",
					 strerror(-r));
		}
		if (r < 0) {
			t->action = PT_ACT_FAILED;
			pt_target_error(t, "%s", err);
			pt_target_report(b->diag, PT_SEV_ERROR, t);
			(void)pt_pci_reload_driver(b->pci, f);
			t->driver_after = f->driver;
			continue;
		}
		if (load_host)
			load_host(userdata, f);
		(void)probe(b, f);
		(void)pt_pci_reload_driver(b->pci, f);
		t->driver_after = f->driver;
		t->action = PT_ACT_RELEASED;
		if (!f->driver[0])
			pt_diag_warn(
				b->diag,
				"%s: no host driver took it back (is its module blacklisted, or "
				"not installed?)",
				f->name);
	}
	return 0;
}
