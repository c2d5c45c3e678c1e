// What the C scanners share and do not export: which bytes of a window a backslash escapes.
#ifndef CONSENTRY_CSCAN_ESCAPES_H
#define CONSENTRY_CSCAN_ESCAPES_H

#include <stdint.h>

// The positions a backslash escapes, not counting escaped backslashes (simdjson's stage 1: a
// run of backslashes of odd length escapes the byte after it). `carry` is 1 when the first byte
// is escaped by the window before, and is set for the next window when it follows this one
// directly.
static inline __attribute__((always_inline)) uint64_t escaped_positions(uint64_t backslashes, uint64_t *carry) {
    const uint64_t even = 0x5555555555555555ULL, odd = ~even;
    uint64_t starts = backslashes & ~(backslashes << 1);
    uint64_t evenStartMask = even ^ *carry;
    uint64_t evenStarts = starts & evenStartMask, oddStarts = starts & ~evenStartMask;
    uint64_t evenCarries = backslashes + evenStarts;
    uint64_t oddCarries;
    int overflow = __builtin_add_overflow(backslashes, oddStarts, &oddCarries);
    oddCarries |= *carry;
    *carry = overflow ? 1 : 0;
    return ((evenCarries & ~backslashes) & odd) | ((oddCarries & ~backslashes) & even);
}

#endif
