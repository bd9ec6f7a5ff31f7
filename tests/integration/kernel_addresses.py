"""What a kernel address looks like in synscope's output, for the checkers
(check_trace.py, check_story.py): nothing synscope writes may match."""
import re

KERNEL_ADDR_MIN = 0xffff800000000000  # x86_64 kernel half of the address space
KERNEL_ADDR_TEXT = re.compile(r"(?:0x)?ffff[0-9a-f]{12}(?![0-9a-f])", re.I)


def check_no_kernel_addresses(path):
    """The first problems found in the file: no number or text may be a
    kernel address."""
    problems = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if KERNEL_ADDR_TEXT.search(line):
                problems.append(f"line {n}: kernel-address-like text")
            for num in re.findall(r"(?<![0-9.])[0-9]{19,20}(?![0-9.])", line):
                if int(num) >= KERNEL_ADDR_MIN:
                    problems.append(f"line {n}: kernel-address-like number {num}")
    return problems[:5]
