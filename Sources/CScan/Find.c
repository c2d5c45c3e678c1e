// A search for a short needle near the start of a short haystack: where a line names its member,
// so that the gate can prefetch that member's table slot before it scans the line.
#include <string.h>
#include "CScan.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Whether the needle stands at `place`: its first eight bytes (or fewer) at once, then the rest.
static inline int consentry_matches(const unsigned char *place, const unsigned char *wanted, size_t length, uint64_t head, size_t headLength) {
    uint64_t found = 0;
    memcpy(&found, place, headLength);
    return found == head && memcmp(place + headLength, wanted + headLength, length - headLength) == 0;
}

const void *consentry_find(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    // Short haystacks, a needle that often stands near their start: the places holding the
    // needle's first two bytes are found 16 at a time (SSE2), then compared by their first eight
    // bytes and the rest. glibc's memmem costs more here, setting up its search on every call.
    if (needle_length == 0 || haystack_length < needle_length) return NULL;
    if (needle_length == 1) return memchr(haystack, *(const unsigned char *)needle, haystack_length);
    const unsigned char *bytes = haystack, *wanted = needle;
    const size_t last = haystack_length - needle_length;  // the last place the needle may start
    uint64_t head = 0;
    const size_t headLength = needle_length < 8 ? needle_length : 8;
    memcpy(&head, wanted, headLength);
    size_t at = 0;
#if defined(__SSE2__)
    const __m128i first = _mm_set1_epi8((char)wanted[0]), second = _mm_set1_epi8((char)wanted[1]);
    // Sixteen candidate places from `at` on; the needle's two bytes or more keep both loads
    // (up to at + 16) inside the haystack.
    for (; at + 15 <= last; at += 16) {
        const __m128i here = _mm_loadu_si128((const __m128i *)(bytes + at));
        const __m128i next = _mm_loadu_si128((const __m128i *)(bytes + at + 1));
        unsigned candidates = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(here, first), _mm_cmpeq_epi8(next, second)));
        while (candidates) {
            const size_t place = at + (size_t)__builtin_ctz(candidates);
            if (consentry_matches(bytes + place, wanted, needle_length, head, headLength)) return bytes + place;
            candidates &= candidates - 1;
        }
    }
#endif
    for (; at <= last; at++) {
        if (bytes[at] == wanted[0] && bytes[at + 1] == wanted[1] && consentry_matches(bytes + at, wanted, needle_length, head, headLength)) {
            return bytes + at;
        }
    }
    return NULL;
}
