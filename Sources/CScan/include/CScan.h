#ifndef CONSENTRY_CSCAN_H
#define CONSENTRY_CSCAN_H

#include <stddef.h>
#include <stdint.h>

/// The scanners' innermost loops in C, for what Swift cannot say: a prefetch, and SIMD bit
/// masks (`pmovmskb`, AVX-512 mask registers) chosen for the processor at run time.

/// Asks the processor to bring the cache line holding `address` closer, without waiting for
/// it: a table lookup whose slot is known early can overlap its memory latency with other
/// work.
static inline void consentry_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Where `needle` first occurs in `haystack`, or NULL (as memmem, for a short haystack).
const void *consentry_find(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

/// What reading one JSON string's contents found.
typedef struct {
    /// `CONSENTRY_STRING_OK`, or the first problem, in the string's byte order.
    int status;
    /// The offset of the closing quote; of the problem (the control byte, the escape's letter);
    /// or, when unterminated, the end of the input.
    size_t offset;
    /// Whether the contents hold a backslash (a string without one is its own decoding).
    int hasEscapes;
} consentry_string_scan;

enum {
    CONSENTRY_STRING_OK = 0,
    /// A byte below 0x20 that is not escaped.
    CONSENTRY_STRING_CONTROL = 1,
    /// A backslash followed by something that is not one of `" \ / b f n r t u`.
    CONSENTRY_STRING_UNKNOWN_ESCAPE = 2,
    /// `\u` without four hex digits after it.
    CONSENTRY_STRING_BAD_UNICODE = 3,
    /// No closing quote before the end of the input.
    CONSENTRY_STRING_UNTERMINATED = 4,
};

/// Reads the contents of the JSON string that starts at `bytes[start]` (just after its opening
/// quote), with `count` bytes readable from `bytes`: finds the closing quote and checks every
/// escape and control byte before it (RFC 8259), 64 bytes at a time with the widest SIMD the
/// processor has (AVX-512BW, AVX2, SSE2, or portable C).
consentry_string_scan consentry_scan_string(const uint8_t *bytes, size_t count, size_t start);

/// ``consentry_scan_string`` with a given implementation, for tests: 0 portable C, 1 SSE2,
/// 2 AVX2, 3 AVX-512BW. Returns 0 and leaves `result` alone when this processor lacks it.
int consentry_scan_string_using(int level, const uint8_t *bytes, size_t count, size_t start, consentry_string_scan *result);

/// A set of words to look for in text, as ``consentry_word_set_may_hold`` reads it: each word
/// by its first eight bytes (``consentry_word_print``), in a bitmap of `1 << (64 - bitmapShift)`
/// bits indexed by the top bits of ``consentry_word_print_hash``, and in an open-addressing table
/// of `tableMask + 1` slots (a power of two; 0 is empty, and a print is never 0) probed linearly
/// from `hash >> tableShift`, its top bits. (A multiplicative hash's low bits depend only on the
/// low bytes of the print, which many names share.) Built and owned by the caller.
typedef struct {
    const uint64_t *bitmap;
    int bitmapShift;
    const uint64_t *table;
    int tableShift;
    uint64_t tableMask;
    /// The length of the set's shortest word, 1 to 8 (longer words count as 8): shorter words
    /// in the text are not looked up.
    int shortest;
} consentry_word_set;

/// A word's print: its first eight bytes (fewer when shorter, the rest zero), ASCII letters in
/// lower case, as one little-endian 64-bit number. A word is a run of ASCII letters, digits,
/// `_` and bytes from 0x80.
uint64_t consentry_word_print(const uint8_t *word, size_t count);

/// The hash a ``consentry_word_set`` places a print by.
uint64_t consentry_word_print_hash(uint64_t print);

/// Whether the contents of a JSON string (`count` bytes, escapes as they are) may hold a word
/// of `set` whole: 0 when no word in it has the print of one in the set, 1 when one does or
/// when the contents hold a `\u` escape (which may spell anything). A word starts at a word
/// byte after a byte that is not one, or at the start; an escaped letter (the `n` of `\n`)
/// is not a word byte.
int consentry_word_set_may_hold(const consentry_word_set *set, const uint8_t *bytes, size_t count);

/// ``consentry_word_set_may_hold`` with a given implementation, for tests: 0 portable C, 2 AVX2,
/// 3 AVX-512BW. Returns 0 and leaves `result` alone when this processor lacks it.
int consentry_word_set_may_hold_using(int level, const consentry_word_set *set, const uint8_t *bytes, size_t count, int *result);

/// Positions of the first 16 bytes at `bytes` (16 must be readable), bit i for byte i: quotes,
/// and bytes that need a closer look (backslashes, control bytes). Lets a short string be read
/// in one step without a call.
typedef struct {
    uint32_t quotes;
    uint32_t others;
} consentry_short_masks;

#if defined(__SSE2__)
#include <emmintrin.h>

static inline consentry_short_masks consentry_short_masks16(const uint8_t *bytes) {
    const __m128i chunk = _mm_loadu_si128((const __m128i *)bytes);
    const __m128i controls = _mm_cmpeq_epi8(_mm_min_epu8(chunk, _mm_set1_epi8(0x1F)), chunk);
    const __m128i backslashes = _mm_cmpeq_epi8(chunk, _mm_set1_epi8(0x5C));
    consentry_short_masks masks = {
        (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8(0x22))),
        (uint32_t)_mm_movemask_epi8(_mm_or_si128(controls, backslashes)),
    };
    return masks;
}

/// How many of the first 16 bytes at `bytes` (16 must be readable) are decimal digits, in a row
/// from the first: 16 when all are.
static inline int consentry_leading_digits16(const uint8_t *bytes) {
    const __m128i chunk = _mm_loadu_si128((const __m128i *)bytes);
    // A digit, less '0', is 0...9 as an unsigned byte: the minimum with 9 is itself.
    const __m128i offset = _mm_sub_epi8(chunk, _mm_set1_epi8('0'));
    const __m128i digits = _mm_cmpeq_epi8(_mm_min_epu8(offset, _mm_set1_epi8(9)), offset);
    return __builtin_ctz(~(unsigned)_mm_movemask_epi8(digits) | 0x10000u);
}

#else

static inline consentry_short_masks consentry_short_masks16(const uint8_t *bytes) {
    consentry_short_masks masks = {0, 0};
    for (int i = 0; i < 16; i++) {
        if (bytes[i] == 0x22) masks.quotes |= 1u << i;
        if (bytes[i] == 0x5C || bytes[i] < 0x20) masks.others |= 1u << i;
    }
    return masks;
}

static inline int consentry_leading_digits16(const uint8_t *bytes) {
    int count = 0;
    while (count < 16 && bytes[count] >= '0' && bytes[count] <= '9') count++;
    return count;
}

#endif

#endif
