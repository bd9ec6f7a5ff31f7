/* scrub_kernel_addresses: what the verifier log prints, made safe. */
#include <stdbool.h>
#include "test.h"
#include "source/live/scrub.h"

static void test_scrub(void)
{
	char a[] = "83: (18) r2 = 0xffffc900001de004      ; R2=map_value(map=synscope.rodata,ks=4)";
	char b[] = "two 0xffff888100a0b0c0,0xffffffff81000000 end";
	char c[] = "not kernel: 0xffff 0xffff1234 0xffffc900001de0041 seq=0x1234";
	char d[] = "0xffffc900001de004";

	scrub_kernel_addresses(a);
	CHECK_EQ_STR(a, "83: (18) r2 = 0xKADDR      ; R2=map_value(map=synscope.rodata,ks=4)");
	scrub_kernel_addresses(b);
	CHECK_EQ_STR(b, "two 0xKADDR,0xKADDR end");
	scrub_kernel_addresses(c);
	CHECK_EQ_STR(c, "not kernel: 0xffff 0xffff1234 0xffffc900001de0041 seq=0x1234");
	scrub_kernel_addresses(d);
	CHECK_EQ_STR(d, "0xKADDR");
}

int main(void)
{
	RUN(test_scrub);
	return TEST_SUMMARY();
}
