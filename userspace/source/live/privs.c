#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "source/live/privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define CAP_BIT(c) (1ull << (c))

static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(data, 0, 2 * sizeof(*data)); /* valgrind sees only the first one written */
	return (int)syscall(SYS_capget, &hdr, data);
}

static int caps_set(const struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capset, &hdr, data);
}

int privs_effective_caps(__u64 *caps)
{
	struct __user_cap_data_struct data[2];

	if (caps_get(data))
		return -1;
	*caps = data[0].effective | (__u64)data[1].effective << 32;
	return 0;
}

bool privs_missing(__u64 caps, char *msg, size_t len)
{
	bool bpf = caps & CAP_BIT(CAP_BPF), perfmon = caps & CAP_BIT(CAP_PERFMON);

	/* CAP_SYS_ADMIN holds both (and is all there was before Linux 5.8) */
	if ((bpf && perfmon) || (caps & CAP_BIT(CAP_SYS_ADMIN)))
		return false;
	snprintf(msg, len, "missing %s%s%s (loading and attaching BPF tracing programs needs "
		 "CAP_BPF and CAP_PERFMON): run as root, e.g. with sudo",
		 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return true;
}

/* A whole decimal id, nothing else. */
static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out < UINT_MAX;
}

int privs_target(const char *run_as, const char *sudo_uid, const char *sudo_gid, uid_t my_uid,
		 struct privs_user *u, char *err, size_t errlen)
{
	const struct passwd *pw;
	unsigned long id, gid;

	memset(u, 0, sizeof(*u));
	if (run_as) {
		pw = getpwnam(run_as);
		if (!pw && parse_id(run_as, &id))
			pw = getpwuid((uid_t)id);
		if (!pw) {
			snprintf(err, errlen, "unknown user for -Z: '%s'", run_as);
			return -1;
		}
		u->uid = pw->pw_uid;
		u->gid = pw->pw_gid;
		snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
		u->change = u->uid != 0;
		return 0;
	}
	/* run through sudo: give the files and the command back to its caller */
	if (my_uid != 0 || !sudo_uid || !*sudo_uid)
		return 0;
	if (!parse_id(sudo_uid, &id)) {
		snprintf(err, errlen, "invalid SUDO_UID: '%s' (-Z USER chooses the user instead)",
			 sudo_uid);
		return -1;
	}
	pw = getpwuid((uid_t)id);
	if (sudo_gid && *sudo_gid) {
		if (!parse_id(sudo_gid, &gid)) {
			snprintf(err, errlen, "invalid SUDO_GID: '%s' (-Z USER chooses the user instead)",
				 sudo_gid);
			return -1;
		}
	} else if (pw) {
		gid = pw->pw_gid;
	} else {
		snprintf(err, errlen, "SUDO_UID %lu has no user and SUDO_GID is unset "
			 "(-Z USER chooses the user instead)", id);
		return -1;
	}
	u->uid = (uid_t)id;
	u->gid = (gid_t)gid;
	if (pw)
		snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	u->change = u->uid != 0;
	return 0;
}

/* Asks still_ok with no capability in effect, then puts them back. */
static bool works_without_caps(bool (*still_ok)(void *ctx), void *ctx)
{
	struct __user_cap_data_struct data[2], none[2];
	bool ok;

	if (caps_get(data))
		return true; /* nothing to test with: the drop itself will say */
	memcpy(none, data, sizeof(none));
	none[0].effective = none[1].effective = 0;
	if (caps_set(none))
		return true;
	ok = still_ok(ctx);
	caps_set(data);
	return ok;
}

int privs_drop(const struct privs_user *u, bool (*still_ok)(void *ctx), void *ctx,
	       char *err, size_t errlen)
{
	struct __user_cap_data_struct none[2];
	const char *who = u->name[0] ? u->name : "the sudo caller";

	if (!u->change && geteuid() == 0)
		return 0; /* root stays root: -Z root, or not run through sudo */
	if (still_ok && !works_without_caps(still_ok, ctx)) {
		snprintf(err, errlen, "keeping privileges: this kernel needs CAP_BPF to read "
			 "the lost-events counter (Linux before 6.5 with "
			 "kernel.unprivileged_bpf_disabled set)");
		return 1;
	}
	if (u->change) {
		if (u->name[0] ? initgroups(u->name, u->gid) : setgroups(1, &u->gid)) {
			snprintf(err, errlen, "cannot set the groups of %s: %s", who, strerror(errno));
			return -1;
		}
		if (setresgid(u->gid, u->gid, u->gid) || setresuid(u->uid, u->uid, u->uid)) {
			snprintf(err, errlen, "cannot become %s (uid %u): %s", who, (unsigned)u->uid,
				 strerror(errno));
			return -1;
		}
		if (setresuid(0, 0, 0) == 0) {
			snprintf(err, errlen, "could still become root after switching to %s", who);
			return -1;
		}
	}
	/* what a user with file or ambient capabilities held: gone too */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(none, 0, sizeof(none));
	if (caps_set(none)) {
		snprintf(err, errlen, "cannot give up capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}
