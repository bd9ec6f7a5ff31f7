/* Privileges: the line naming missing capabilities, and whom synscope
 * becomes (-Z, sudo's variables). Needs the users root and nobody. */
#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "test.h"
#include "source/live/privs.h"

#define CAP(n) (1ull << (n))
enum { SYS_ADMIN = 21, PERFMON = 38, BPF = 39 };

static void test_missing_capabilities(void)
{
	char msg[512];

	CHECK(!privs_missing(CAP(BPF) | CAP(PERFMON), msg, sizeof(msg)));
	CHECK(!privs_missing(CAP(SYS_ADMIN), msg, sizeof(msg)));
	CHECK(!privs_missing(~0ull, msg, sizeof(msg)));

	CHECK(privs_missing(0, msg, sizeof(msg)));
	CHECK_EQ_STR(msg, "missing CAP_BPF and CAP_PERFMON (loading and attaching BPF tracing "
			  "programs needs CAP_BPF and CAP_PERFMON): run as root, e.g. with sudo");
	CHECK(privs_missing(CAP(PERFMON), msg, sizeof(msg)));
	CHECK(strncmp(msg, "missing CAP_BPF (", 17) == 0);
	CHECK(privs_missing(CAP(BPF) | CAP(SYS_ADMIN - 1), msg, sizeof(msg)));
	CHECK(strncmp(msg, "missing CAP_PERFMON (", 21) == 0);
}

/* The kernel's own account of this process's effective set: the CapEff
 * line of /proc/self/status, in hex. */
static bool proc_cap_eff(__u64 *caps)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", (unsigned long long *)caps) == 1;
	fclose(f);
	return found;
}

/* The value read is the effective set, all 64 bits of it: the kernel says
 * the same in /proc, and root (as CI runs this) holds CAP_BPF (39) and
 * CAP_PERFMON (38), which live in the upper half. */
static void test_effective_caps_readable(void)
{
	__u64 caps = ~0ull, proc = 0;

	if (!CHECK_EQ_INT(privs_effective_caps(&caps), 0))
		return;
	if (CHECK(proc_cap_eff(&proc))) {
		if (!CHECK(caps == proc))
			fprintf(stderr, "  read %#llx, /proc/self/status says %#llx\n",
				(unsigned long long)caps, (unsigned long long)proc);
	}
	if (geteuid() == 0 && proc & CAP(BPF)) {
		CHECK(caps & CAP(BPF));
		CHECK(caps & CAP(PERFMON));
		CHECK(caps & CAP(SYS_ADMIN));
		CHECK(caps >> 32 != 0);
	}
	if (geteuid() != 0)
		CHECK(caps != ~0ull);
}

/* The effective set, not the permitted one: with one capability held but
 * not in effect (dropped from the effective set only, as a program does
 * around work that needs none), it is not reported. Needs a capability to
 * drop: root's CAP_SYS_TIME (25); put back after. */
static void test_effective_not_permitted(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2], less[2];
	__u64 caps = 0, proc = 0;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) || !(data[0].permitted & CAP(25)))
		return; /* nothing to drop: not root */
	memcpy(less, data, sizeof(less));
	less[0].effective &= ~(__u32)CAP(25);
	if (!CHECK_EQ_INT(syscall(SYS_capset, &hdr, less), 0))
		return;
	CHECK_EQ_INT(privs_effective_caps(&caps), 0);
	CHECK(!(caps & CAP(25)));
	CHECK(proc_cap_eff(&proc) && caps == proc);
	CHECK_EQ_INT(syscall(SYS_capset, &hdr, data), 0);
	CHECK_EQ_INT(privs_effective_caps(&caps), 0);
	CHECK(caps & CAP(25));
}

static void test_target_from_z(void)
{
	const struct passwd *nobody = getpwnam("nobody");
	struct privs_user u;
	char err[256] = "", num[32];

	if (!CHECK(nobody != NULL))
		return;
	CHECK_EQ_INT(privs_target("nobody", NULL, NULL, 0, &u, err, sizeof(err)), 0);
	CHECK(u.change);
	CHECK_EQ_INT(u.uid, nobody->pw_uid);
	CHECK_EQ_INT(u.gid, nobody->pw_gid);
	CHECK_EQ_STR(u.name, "nobody");
	/* a number works too; -Z wins over sudo's variables */
	snprintf(num, sizeof(num), "%u", (unsigned)nobody->pw_uid);
	CHECK_EQ_INT(privs_target(num, "0", "0", 0, &u, err, sizeof(err)), 0);
	CHECK(u.change);
	CHECK_EQ_STR(u.name, "nobody");
	/* root: nothing to change, even run through sudo */
	CHECK_EQ_INT(privs_target("root", "1000", "1000", 0, &u, err, sizeof(err)), 0);
	CHECK(!u.change);
	CHECK_EQ_INT(privs_target("no-such-user-here", NULL, NULL, 0, &u, err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "unknown user for -Z: 'no-such-user-here'");
}

static void test_target_from_sudo(void)
{
	const struct passwd *nobody = getpwnam("nobody");
	struct privs_user u;
	char err[256] = "", uid[32];

	if (!CHECK(nobody != NULL))
		return;
	snprintf(uid, sizeof(uid), "%u", (unsigned)nobody->pw_uid);
	CHECK_EQ_INT(privs_target(NULL, uid, "4321", 0, &u, err, sizeof(err)), 0);
	CHECK(u.change);
	CHECK_EQ_INT(u.uid, nobody->pw_uid);
	CHECK_EQ_INT(u.gid, 4321);
	CHECK_EQ_STR(u.name, "nobody");
	/* SUDO_GID unset: the user's own group */
	CHECK_EQ_INT(privs_target(NULL, uid, NULL, 0, &u, err, sizeof(err)), 0);
	CHECK_EQ_INT(u.gid, nobody->pw_gid);
	/* a uid with no passwd entry: its groups are just SUDO_GID */
	CHECK_EQ_INT(privs_target(NULL, "3999999", "3999999", 0, &u, err, sizeof(err)), 0);
	CHECK(u.change);
	CHECK_EQ_STR(u.name, "");
	CHECK_EQ_INT(privs_target(NULL, "3999999", NULL, 0, &u, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "SUDO_UID 3999999 has no user and SUDO_GID is unset");
	/* not run through sudo, sudo -u root, or not root: no change */
	CHECK_EQ_INT(privs_target(NULL, NULL, NULL, 0, &u, err, sizeof(err)), 0);
	CHECK(!u.change);
	CHECK_EQ_INT(privs_target(NULL, "0", "0", 0, &u, err, sizeof(err)), 0);
	CHECK(!u.change);
	CHECK_EQ_INT(privs_target(NULL, uid, uid, 1000, &u, err, sizeof(err)), 0);
	CHECK(!u.change);
	/* garbage is refused, not taken for root */
	CHECK_EQ_INT(privs_target(NULL, "12ab", "0", 0, &u, err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "invalid SUDO_UID: '12ab' (-Z USER chooses the user instead)");
	CHECK_EQ_INT(privs_target(NULL, uid, "-1", 0, &u, err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "invalid SUDO_GID: '-1' (-Z USER chooses the user instead)");
}

int main(void)
{
	RUN(test_missing_capabilities);
	RUN(test_effective_caps_readable);
	RUN(test_effective_not_permitted);
	RUN(test_target_from_z);
	RUN(test_target_from_sudo);
	return TEST_SUMMARY();
}
