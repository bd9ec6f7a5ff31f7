/* Privileges: what synscope needs to load its programs, and giving it up
 * once they are attached (like tcpdump -Z). */
#ifndef SYNSCOPE_PRIVS_H
#define SYNSCOPE_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* This process's effective capabilities, bit n = capability n. */
int privs_effective_caps(__u64 *caps);
/* Names what caps lacks to load and attach tracing programs, in one line.
 * Returns false when nothing is missing. */
bool privs_missing(__u64 caps, char *msg, size_t len);

/* Who synscope becomes once attached. */
struct privs_user {
	bool change;      /* false: keep the uid (root, or not run through sudo) */
	uid_t uid;
	gid_t gid;
	char name[64];    /* for its supplementary groups; "" without a passwd entry */
};

/* run_as: -Z USER (a name or a number), NULL when not given; sudo_uid and
 * sudo_gid: $SUDO_UID and $SUDO_GID (NULL when unset), used only by root
 * without -Z. "root" (or uid 0) means no change. */
int privs_target(const char *run_as, const char *sudo_uid, const char *sudo_gid, uid_t my_uid,
		 struct privs_user *u, char *err, size_t errlen);

/* Become u (groups, gid, uid; for good, no way back to root) and give up
 * every capability. still_ok, when given, is asked first with no capability
 * in effect: if it fails (something already open needs a capability on this
 * kernel), nothing is dropped and 1 is returned with the reason in err.
 * Returns 0 when dropped, -1 with one line in err on failure. */
int privs_drop(const struct privs_user *u, bool (*still_ok)(void *ctx), void *ctx,
	       char *err, size_t errlen);

#endif
