// Whether a text may hold one of many words, read 64 bytes at a time.
//
// Each window becomes bit masks (bit i for byte i): word bytes, backslashes and `u`s. The words
// that start in it (a word byte after a byte that is not one) are then looked up one by one:
// each one's first eight bytes in lower case, as one 64-bit number (its print), in a bitmap that
// fits the L1 cache and, when its bit is set, in a small hash table. A text costs a few instructions a byte and one lookup a word, where an automaton costs
// one dependent load a byte.
//
// Windows overlap by eight bytes (a step of 56), so that a word starting in one has its first
// eight bytes in it. One body, compiled once per instruction set; the widest the processor has
// is chosen on the first call.
#include "CScan.h"
#include "Escapes.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CONSENTRY_X86 1
#endif

enum { STEP = 56 };
static const uint64_t LOW = (1ULL << STEP) - 1;

typedef struct {
    uint64_t words, backslashes, us;
} word_masks;

// The masks of the window at `bytes`, of which `available` bytes are readable (all 64 when more).
typedef word_masks (*classify_fn)(const uint8_t *bytes, size_t available);

static inline __attribute__((always_inline)) int is_word(uint8_t c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

// A print folds case by setting bit 5 of every byte: ASCII letters in lower case, digits and `_`
// unchanged (they have it), and bytes from 0x80 merged in pairs, which only makes more words
// look alike, never fewer.
static const uint64_t CASE = 0x2020202020202020ULL;

static inline __attribute__((always_inline)) uint64_t hashed(uint64_t print) {
    return print * 0x9E3779B97F4A7C15ULL;
}

uint64_t consentry_word_print(const uint8_t *word, size_t count) {
    uint8_t bytes[8] = {0};
    for (size_t i = 0; i < count && i < 8; i++) bytes[i] = word[i] | 0x20;
    uint64_t print;
    memcpy(&print, bytes, 8);
    return print;
}

uint64_t consentry_word_print_hash(uint64_t print) {
    return hashed(print);
}

// Whether the bitmap's bit for `print` is set: most words stop here.
static inline __attribute__((always_inline)) uint64_t in_bitmap(const consentry_word_set *set, uint64_t print) {
    uint64_t bit = hashed(print) >> set->bitmapShift;
    return (set->bitmap[bit >> 6] >> (bit & 63)) & 1;
}

static inline __attribute__((always_inline)) int in_table(const consentry_word_set *set, uint64_t print) {
    for (uint64_t slot = hashed(print) >> set->tableShift;; slot = (slot + 1) & set->tableMask) {
        uint64_t entry = set->table[slot];
        if (entry == print) return 1;
        if (entry == 0) return 0;
    }
}

// The print of the word at `offset` of the window at `at`, `length` bytes long (0 to 8), with
// `readable` bytes readable from `at` (at least 8).
static inline __attribute__((always_inline)) uint64_t print_at(const uint8_t *at, int offset, int length, size_t readable) {
    uint64_t print;
    if (readable >= (size_t)offset + 8) {
        memcpy(&print, at + offset, 8);
    } else {
        // Near the end: the last eight bytes, shifted down (little-endian: the first byte is the lowest).
        memcpy(&print, at + readable - 8, 8);
        print >>= 8 * ((size_t)offset + 8 - readable);
    }
    // Without a branch on the length (a conditional move): which words are short is anyone's
    // guess. A length of 0 (a window's missing word, looked up and dropped) gives 0.
    uint64_t kept = length >= 8 ? ~0ULL : (1ULL << (8 * length)) - 1;
    return (print | CASE) & kept;
}

// The positions where `shortest` word bytes (1 to 8) begin: a word shorter than every word of
// the set is not looked up. (The same length every call: the jump is predicted.)
static inline __attribute__((always_inline)) uint64_t at_least(uint64_t words, int shortest) {
    uint64_t run = words;
    switch (shortest) {
    case 8: run &= words >> 7; // fall through
    case 7: run &= words >> 6; // fall through
    case 6: run &= words >> 5; // fall through
    case 5: run &= words >> 4; // fall through
    case 4: run &= words >> 3; // fall through
    case 3: run &= words >> 2; // fall through
    case 2: run &= words >> 1; // fall through
    default: return run;
    }
}

static inline __attribute__((always_inline)) int
search(const consentry_word_set *set, const uint8_t *bytes, size_t count, classify_fn classify) {
    uint8_t small[8] = {0};
    size_t readableCount = count;
    if (count < 8) {
        // A text shorter than one print: read from a copy padded with zeros.
        memcpy(small, bytes, count);
        bytes = small;
        readableCount = 8;
    }
    uint64_t carry = 0;         // whether the window's first byte is escaped
    uint64_t wordBefore = 0;    // whether the byte before the window is a word byte
    for (size_t window = 0; window < count; window += STEP) {
        size_t available = count - window, readable = readableCount - window;
        const uint8_t *at = bytes + window;
        word_masks masks = classify(at, available);
        // Escapes among the first 56 bytes; bit 56 then says whether the next window's first byte is escaped.
        uint64_t escaped = escaped_positions(masks.backslashes & LOW, &carry);
        carry = (escaped >> STEP) & 1;
        // `\u` may spell any character: the text must be decoded to tell.
        if (escaped & masks.us & LOW) return 1;
        // An escaped letter (the `n` of `\n`) stands for a byte that is not part of a word.
        uint64_t words = masks.words & ~(escaped & LOW);
        uint64_t starts = words & ~((words << 1) | wordBefore) & LOW;
        wordBefore = (words >> (STEP - 1)) & 1;
        starts &= at_least(words, set->shortest);
        // First every word against the bitmap, without a branch; then, for the few whose bit is
        // set, the table.
        uint64_t candidates = 0;
        uint64_t left = starts;
        if (set->shortest >= 6) {
            // When only long words are looked up, a window holds none, one or two: the first two
            // without a branch on how many there are (a loop would end at a different count each
            // time, a mispredicted branch per window). Past the last word, offset 63 is looked up
            // and its bit dropped below.
            for (int slot = 0; slot < 2; slot++) {
                int offset = __builtin_ctzll(left | (1ULL << 63));
                int length = __builtin_ctzll(~(words >> offset));
                length = length < 8 ? length : 8;
                candidates |= in_bitmap(set, print_at(at, offset, length, readable)) << offset;
                left &= left - 1;
            }
        }
        for (; left; left &= left - 1) {
            int offset = __builtin_ctzll(left);
            int length = __builtin_ctzll(~(words >> offset));
            length = length < 8 ? length : 8;
            candidates |= in_bitmap(set, print_at(at, offset, length, readable)) << offset;
        }
        candidates &= starts;
        for (; candidates; candidates &= candidates - 1) {
            int offset = __builtin_ctzll(candidates);
            int length = __builtin_ctzll(~(words >> offset));
            length = length < 8 ? length : 8;
            if (in_table(set, print_at(at, offset, length, readable))) return 1;
        }
    }
    return 0;
}

// ---- portable C ----

static word_masks classify_portable(const uint8_t *bytes, size_t available) {
    word_masks masks = {0, 0, 0};
    for (int i = 0; i < 64 && (size_t)i < available; i++) {
        uint64_t bit = 1ULL << i;
        uint8_t c = bytes[i];
        if (is_word(c)) masks.words |= bit;
        if (c == 0x5C) masks.backslashes |= bit;
        if (c == 'u') masks.us |= bit;
    }
    return masks;
}

static int search_portable(const consentry_word_set *set, const uint8_t *bytes, size_t count) {
    return search(set, bytes, count, classify_portable);
}

#if CONSENTRY_X86

// ---- AVX2 ----

__attribute__((target("avx2,bmi,bmi2"))) static inline word_masks classify_avx2(const uint8_t *bytes, size_t available) {
    word_masks masks = {0, 0, 0};
    uint8_t padded[64];
    if (available < 64) {
        // The last bytes, padded with zeros (not word bytes) to a whole window.
        memset(padded, 0, 64);
        memcpy(padded, bytes, available);
        bytes = padded;
    }
    for (int part = 0; part < 2; part++) {
        __m256i chunk = _mm256_loadu_si256((const __m256i *)(bytes + 32 * part));
        int shift = 32 * part;
        // x is in lo...lo+span (unsigned) when x - lo is at most span: its minimum with span is itself.
        __m256i digits = _mm256_sub_epi8(chunk, _mm256_set1_epi8('0'));
        digits = _mm256_cmpeq_epi8(_mm256_min_epu8(digits, _mm256_set1_epi8(9)), digits);
        // Letters in either case: bit 5 set, less 'a', at most 25.
        __m256i letters = _mm256_sub_epi8(_mm256_or_si256(chunk, _mm256_set1_epi8(0x20)), _mm256_set1_epi8('a'));
        letters = _mm256_cmpeq_epi8(_mm256_min_epu8(letters, _mm256_set1_epi8(25)), letters);
        __m256i words = _mm256_or_si256(_mm256_or_si256(digits, letters), _mm256_cmpeq_epi8(chunk, _mm256_set1_epi8('_')));
        // Bytes from 0x80 have their sign bit set, which movemask reads directly.
        masks.words |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(words, chunk)) << shift;
        masks.backslashes |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(chunk, _mm256_set1_epi8(0x5C))) << shift;
        masks.us |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(chunk, _mm256_set1_epi8('u'))) << shift;
    }
    return masks;
}

__attribute__((target("avx2,bmi,bmi2"))) static int search_avx2(const consentry_word_set *set, const uint8_t *bytes, size_t count) {
    return search(set, bytes, count, classify_avx2);
}

// ---- AVX-512BW: one compare per class and window, straight into a mask ----

__attribute__((target("avx512f,avx512bw,bmi,bmi2"))) static inline word_masks classify_avx512(const uint8_t *bytes, size_t available) {
    // The bytes past the input read as zeros (not word bytes); a masked load touches no memory for them.
    __m512i chunk = available >= 64 ? _mm512_loadu_si512((const void *)bytes) : _mm512_maskz_loadu_epi8((1ULL << available) - 1, bytes);
    // Letters in either case: bit 5 set, less 'a', at most 25.
    __m512i lower = _mm512_or_si512(chunk, _mm512_set1_epi8(0x20));
    uint64_t words = _mm512_cmple_epu8_mask(_mm512_sub_epi8(lower, _mm512_set1_epi8('a')), _mm512_set1_epi8(25))
        | _mm512_cmple_epu8_mask(_mm512_sub_epi8(chunk, _mm512_set1_epi8('0')), _mm512_set1_epi8(9))
        | _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8('_'))
        | _mm512_movepi8_mask(chunk);
    word_masks masks = {
        words,
        _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8(0x5C)),
        _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8('u')),
    };
    return masks;
}

__attribute__((target("avx512f,avx512bw,bmi,bmi2"))) static int search_avx512(const consentry_word_set *set, const uint8_t *bytes, size_t count) {
    return search(set, bytes, count, classify_avx512);
}

#endif

typedef int (*search_fn)(const consentry_word_set *, const uint8_t *, size_t);

static search_fn implementation(int level) {
    switch (level) {
    case 0: return search_portable;
#if CONSENTRY_X86
    case 2: return __builtin_cpu_supports("avx2") ? search_avx2 : NULL;
    case 3: return __builtin_cpu_supports("avx512bw") ? search_avx512 : NULL;
#endif
    default: return NULL;
    }
}

static search_fn widest(void) {
    for (int level = 3; level > 0; level--) {
        search_fn chosen = implementation(level);
        if (chosen) return chosen;
    }
    return search_portable;
}

static search_fn chosen;

int consentry_word_set_may_hold(const consentry_word_set *set, const uint8_t *bytes, size_t count) {
    // Any thread may choose first: they all choose the same, so a race stores the same value.
    search_fn search = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (!search) {
        search = widest();
        __atomic_store_n(&chosen, search, __ATOMIC_RELAXED);
    }
    return search(set, bytes, count);
}

int consentry_word_set_may_hold_using(int level, const consentry_word_set *set, const uint8_t *bytes, size_t count, int *result) {
    search_fn search = implementation(level);
    if (!search) return 0;
    *result = search(set, bytes, count);
    return 1;
}
