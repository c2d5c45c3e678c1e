// JSON string contents, 64 bytes at a time.
//
// Each window of 64 bytes becomes bit masks (bit i for byte i): quotes, backslashes, control
// bytes. Which bytes a backslash escapes follows from the backslashes' positions by arithmetic
// (a run of odd length escapes the byte after it: simdjson's stage 1), so the closing quote is
// the first quote not escaped, and the escapes and control bytes before it are all checked at
// once. A window costs about the same whatever it holds; text with an escape every few dozen
// bytes is not read byte by byte.
//
// One body, compiled once per instruction set; the widest the processor has is chosen on the
// first call.
#include "CScan.h"
#include "Escapes.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CONSENTRY_X86 1
#endif

typedef struct {
    uint64_t quotes, backslashes, controls;
} window_masks;

typedef struct {
    /// The letters that may follow a backslash besides `"` and `\`: `/ b f n r t u`.
    uint64_t letters;
    uint64_t us;
} escape_masks;

static inline __attribute__((always_inline)) int is_hex(uint8_t c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

typedef window_masks (*window_fn)(const uint8_t *);
typedef escape_masks (*escape_fn)(const uint8_t *);

static inline __attribute__((always_inline)) consentry_string_scan
scan(const uint8_t *bytes, size_t count, size_t start, window_fn windowMasks, escape_fn escapeMasks) {
    consentry_string_scan result = {CONSENTRY_STRING_OK, 0, 0};
    uint64_t carry = 0;
    size_t window = start;
    for (;;) {
        size_t available = count > window ? count - window : 0;
        const uint8_t *at = bytes + window;
        uint8_t padded[64];
        if (available < 64) {
            // The last bytes, padded with spaces (no class of their own) to a whole window.
            memset(padded, 0x20, 64);
            if (available) memcpy(padded, at, available);
            at = padded;
        }
        window_masks masks = windowMasks(at);
        uint64_t escaped = escaped_positions(masks.backslashes, &carry);
        uint64_t ends = masks.quotes & ~escaped;
        uint64_t real = available >= 64 ? ~0ULL : (1ULL << available) - 1;
        uint64_t inside = ends ? (ends & (0 - ends)) - 1 : real;
        uint64_t inEscapes = escaped & inside;
        uint64_t problems = masks.controls & inside & ~escaped;
        uint64_t badUnicode = 0;
        {
            // Without a branch on whether the window holds escapes: in text with an escape every
            // few dozen bytes, that branch goes either way.
            escape_masks letters = escapeMasks(at);
            problems |= inEscapes & ~(letters.letters | masks.quotes);
            uint64_t us = inEscapes & letters.us;
            while (us) {
                int bit = __builtin_ctzll(us);
                size_t u = window + (size_t)bit;
                if (problems & ((1ULL << bit) - 1)) break;  // an earlier problem is reported first
                if (!(u + 4 < count && is_hex(bytes[u + 1]) && is_hex(bytes[u + 2]) && is_hex(bytes[u + 3]) && is_hex(bytes[u + 4]))) {
                    badUnicode = 1ULL << bit;
                    problems |= badUnicode;
                    break;
                }
                us &= us - 1;
            }
        }
        if (problems) {
            int bit = __builtin_ctzll(problems);
            result.offset = window + (size_t)bit;
            if (!((escaped >> bit) & 1)) result.status = CONSENTRY_STRING_CONTROL;
            else if ((badUnicode >> bit) & 1) result.status = CONSENTRY_STRING_BAD_UNICODE;
            else result.status = CONSENTRY_STRING_UNKNOWN_ESCAPE;
            return result;
        }
        if (masks.backslashes & inside) result.hasEscapes = 1;
        if (ends) {
            result.offset = window + (size_t)__builtin_ctzll(ends);
            return result;
        }
        if (available <= 64) {
            result.status = CONSENTRY_STRING_UNTERMINATED;
            result.offset = count;
            return result;
        }
        window += 64;
    }
}

// ---- portable C ----

static window_masks window_portable(const uint8_t *bytes) {
    window_masks masks = {0, 0, 0};
    for (int i = 0; i < 64; i++) {
        uint64_t bit = 1ULL << i;
        if (bytes[i] == 0x22) masks.quotes |= bit;
        if (bytes[i] == 0x5C) masks.backslashes |= bit;
        if (bytes[i] < 0x20) masks.controls |= bit;
    }
    return masks;
}

static escape_masks escapes_portable(const uint8_t *bytes) {
    escape_masks masks = {0, 0};
    for (int i = 0; i < 64; i++) {
        uint64_t bit = 1ULL << i;
        uint8_t c = bytes[i];
        if (c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't' || c == 'u') masks.letters |= bit;
        if (c == 'u') masks.us |= bit;
    }
    return masks;
}

static consentry_string_scan scan_portable(const uint8_t *bytes, size_t count, size_t start) {
    return scan(bytes, count, start, window_portable, escapes_portable);
}

#if CONSENTRY_X86

// ---- SSE2 (every x86-64) ----

__attribute__((target("sse2"))) static inline window_masks window_sse2(const uint8_t *bytes) {
    window_masks masks = {0, 0, 0};
    const __m128i quote = _mm_set1_epi8(0x22), backslash = _mm_set1_epi8(0x5C), below = _mm_set1_epi8(0x1F);
    for (int part = 0; part < 4; part++) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + 16 * part));
        int shift = 16 * part;
        masks.quotes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, quote)) << shift;
        masks.backslashes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, backslash)) << shift;
        masks.controls |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(chunk, below), chunk)) << shift;
    }
    return masks;
}

__attribute__((target("sse2"))) static inline escape_masks escapes_sse2(const uint8_t *bytes) {
    escape_masks masks = {0, 0};
    for (int part = 0; part < 4; part++) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + 16 * part));
        int shift = 16 * part;
        __m128i isU = _mm_cmpeq_epi8(chunk, _mm_set1_epi8('u'));
        __m128i letters = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('/')), _mm_cmpeq_epi8(chunk, _mm_set1_epi8('b'))),
                                       _mm_or_si128(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('f')), _mm_cmpeq_epi8(chunk, _mm_set1_epi8('n'))));
        letters = _mm_or_si128(letters, _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('r')), _mm_cmpeq_epi8(chunk, _mm_set1_epi8('t'))), isU));
        masks.letters |= (uint64_t)(uint16_t)_mm_movemask_epi8(letters) << shift;
        masks.us |= (uint64_t)(uint16_t)_mm_movemask_epi8(isU) << shift;
    }
    return masks;
}

__attribute__((target("sse2"))) static consentry_string_scan scan_sse2(const uint8_t *bytes, size_t count, size_t start) {
    return scan(bytes, count, start, window_sse2, escapes_sse2);
}

// ---- AVX2 ----

__attribute__((target("avx2"))) static inline window_masks window_avx2(const uint8_t *bytes) {
    window_masks masks = {0, 0, 0};
    const __m256i quote = _mm256_set1_epi8(0x22), backslash = _mm256_set1_epi8(0x5C), below = _mm256_set1_epi8(0x1F);
    for (int part = 0; part < 2; part++) {
        __m256i chunk = _mm256_loadu_si256((const __m256i *)(bytes + 32 * part));
        int shift = 32 * part;
        masks.quotes |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(chunk, quote)) << shift;
        masks.backslashes |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(chunk, backslash)) << shift;
        masks.controls |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(chunk, below), chunk)) << shift;
    }
    return masks;
}

__attribute__((target("avx2"))) static inline escape_masks escapes_avx2(const uint8_t *bytes) {
    escape_masks masks = {0, 0};
    for (int part = 0; part < 2; part++) {
        __m256i chunk = _mm256_loadu_si256((const __m256i *)(bytes + 32 * part));
        int shift = 32 * part;
        __m256i isU = _mm256_cmpeq_epi8(chunk, _mm256_set1_epi8('u'));
        __m256i letters = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(chunk, _mm256_set1_epi8('/')), _mm256_cmpeq_epi8(chunk, _mm256_set1_epi8('b'))),
                                          _mm256_or_si256(_mm256_cmpeq_epi8(chunk, _mm256_set1_epi8('f')), _mm256_cmpeq_epi8(chunk, _mm256_set1_epi8('n'))));
        letters = _mm256_or_si256(letters, _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(chunk, _mm256_set1_epi8('r')), _mm256_cmpeq_epi8(chunk, _mm256_set1_epi8('t'))), isU));
        masks.letters |= (uint64_t)(uint32_t)_mm256_movemask_epi8(letters) << shift;
        masks.us |= (uint64_t)(uint32_t)_mm256_movemask_epi8(isU) << shift;
    }
    return masks;
}

__attribute__((target("avx2"))) static consentry_string_scan scan_avx2(const uint8_t *bytes, size_t count, size_t start) {
    return scan(bytes, count, start, window_avx2, escapes_avx2);
}

// ---- AVX-512BW: one compare per class and window, straight into a mask ----

__attribute__((target("avx512f,avx512bw"))) static inline window_masks window_avx512(const uint8_t *bytes) {
    __m512i chunk = _mm512_loadu_si512((const void *)bytes);
    window_masks masks = {
        _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8(0x22)),
        _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8(0x5C)),
        _mm512_cmple_epu8_mask(chunk, _mm512_set1_epi8(0x1F)),
    };
    return masks;
}

__attribute__((target("avx512f,avx512bw"))) static inline escape_masks escapes_avx512(const uint8_t *bytes) {
    __m512i chunk = _mm512_loadu_si512((const void *)bytes);
    uint64_t us = _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8('u'));
    uint64_t letters = us | _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8('/')) | _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8('b'))
        | _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8('f')) | _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8('n'))
        | _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8('r')) | _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8('t'));
    escape_masks masks = {letters, us};
    return masks;
}

__attribute__((target("avx512f,avx512bw"))) static consentry_string_scan scan_avx512(const uint8_t *bytes, size_t count, size_t start) {
    return scan(bytes, count, start, window_avx512, escapes_avx512);
}

#endif

typedef consentry_string_scan (*scan_fn)(const uint8_t *, size_t, size_t);

static scan_fn implementation(int level) {
    switch (level) {
    case 0: return scan_portable;
#if CONSENTRY_X86
    case 1: return scan_sse2;
    case 2: return __builtin_cpu_supports("avx2") ? scan_avx2 : NULL;
    case 3: return __builtin_cpu_supports("avx512bw") ? scan_avx512 : NULL;
#endif
    default: return NULL;
    }
}

static scan_fn widest(void) {
    for (int level = 3; level > 0; level--) {
        scan_fn chosen = implementation(level);
        if (chosen) return chosen;
    }
    return scan_portable;
}

static scan_fn chosen;

consentry_string_scan consentry_scan_string(const uint8_t *bytes, size_t count, size_t start) {
    // Any thread may choose first: they all choose the same, so a race stores the same value.
    scan_fn scan = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (!scan) {
        scan = widest();
        __atomic_store_n(&chosen, scan, __ATOMIC_RELAXED);
    }
    return scan(bytes, count, start);
}

int consentry_scan_string_using(int level, const uint8_t *bytes, size_t count, size_t start, consentry_string_scan *result) {
    scan_fn scan = implementation(level);
    if (!scan) return 0;
    *result = scan(bytes, count, start);
    return 1;
}
