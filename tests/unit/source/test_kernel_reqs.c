/* What synscope needs of the kernel: required tracepoints stop it with
 * their name, optional ones are switched off with what is then not shown. */
#include "test.h"
#include "source/live/kernel_reqs.h"

static void test_present_is_fine(void)
{
	char msg[256] = "";
	bool fatal = false;

	CHECK(tp_req_check("inet_sock_set_state", 3, &fatal, msg, sizeof(msg)));
	CHECK(tp_req_check("kfree_skb", 4, &fatal, msg, sizeof(msg)));
	CHECK(tp_req_check("sys_enter", 2, &fatal, msg, sizeof(msg)));
	CHECK_EQ_STR(msg, "");
}

static void test_required_missing_is_fatal(void)
{
	char msg[256] = "";
	bool fatal = false;

	CHECK(!tp_req_check("inet_sock_set_state", -1, &fatal, msg, sizeof(msg)));
	CHECK(fatal);
	CHECK_EQ_STR(msg, "this kernel has no tracepoint inet_sock_set_state "
			  "(synscope cannot work without it)");
	fatal = false;
	CHECK(!tp_req_check("inet_sock_set_state", 2, &fatal, msg, sizeof(msg)));
	CHECK(fatal);
	CHECK_EQ_STR(msg, "this kernel's tracepoint inet_sock_set_state has 2 arguments, "
			  "synscope reads 3 (synscope cannot work without it)");
	for (const char *const *tp = (const char *const[]){ "sys_enter", "sys_exit", "net_dev_queue",
							     "netif_receive_skb", "tcp_destroy_sock", NULL };
	     *tp; tp++) {
		fatal = false;
		CHECK(!tp_req_check(*tp, -1, &fatal, msg, sizeof(msg)));
		CHECK(fatal);
	}
}

static void test_optional_missing_says_what_is_lost(void)
{
	char msg[256] = "";
	bool fatal = true;

	CHECK(!tp_req_check("kfree_skb", 2, &fatal, msg, sizeof(msg)));
	CHECK(!fatal);
	CHECK_EQ_STR(msg, "this kernel's tracepoint kfree_skb has 2 arguments, synscope reads 3: "
			  "dropped segments and their drop reasons are not shown");
	fatal = true;
	CHECK(!tp_req_check("tcp_send_reset", 2, &fatal, msg, sizeof(msg)));
	CHECK(!fatal);
	CHECK_CONTAINS(msg, "resets sent and their reasons are not shown");
	fatal = true;
	CHECK(!tp_req_check("tcp_retransmit_synack", -1, &fatal, msg, sizeof(msg)));
	CHECK(!fatal);
	CHECK_EQ_STR(msg, "this kernel has no tracepoint tcp_retransmit_synack: "
			  "retransmitted SYN-ACKs are not marked as retransmissions");
}

/* a program added later without a line in the table: required */
static void test_unknown_tracepoint_is_required(void)
{
	char msg[256] = "";
	bool fatal = false;

	CHECK(tp_req_check("some_new_tracepoint", 0, &fatal, msg, sizeof(msg)));
	CHECK(!tp_req_check("some_new_tracepoint", -1, &fatal, msg, sizeof(msg)));
	CHECK(fatal);
	CHECK_CONTAINS(msg, "no tracepoint some_new_tracepoint");
}

int main(void)
{
	RUN(test_present_is_fine);
	RUN(test_required_missing_is_fatal);
	RUN(test_optional_missing_says_what_is_lost);
	RUN(test_unknown_tracepoint_is_required);
	return TEST_SUMMARY();
}
