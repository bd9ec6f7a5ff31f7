/* Text the program writes must not hold kernel addresses. */
#ifndef SYNSCOPE_SCRUB_H
#define SYNSCOPE_SCRUB_H

/* Replace in place every x86_64 kernel address, "0xffff" and 12 more hex
 * digits (the verifier log prints map addresses), with "0xKADDR". */
void scrub_kernel_addresses(char *s);

#endif
