import CScan

/// A set of words looked for in text many bytes at a time (`Sources/CScan/WordFilter.c`): a
/// quick "no" for text that holds none of them as a whole word, which is nearly every record
/// when the words are the first words of non-members' names.
///
/// Each word is held by its print, its first eight bytes in lower case (``print(_:)``), so
/// longer words sharing their first eight bytes, and a text with a `\u` escape, are a "maybe".
final class WordSet: @unchecked Sendable {
    private let bitmap: UnsafeMutableBufferPointer<UInt64>
    private let table: UnsafeMutableBufferPointer<UInt64>
    private let set: UnsafeMutablePointer<consentry_word_set>

    /// The set of `words`, each a run of word bytes (ASCII letters, digits, `_`, bytes from 0x80),
    /// none empty.
    init(words: [[UInt8]]) {
        precondition(!words.contains(where: \.isEmpty), "a word set holds no empty word")
        let prints = Set(words.map(Self.print))
        // About 64 bits a word (a stray word's chance of a set bit under 2%), at least 4,096 bits
        // and at most 4 Mbit (512 KB, beyond which the bitmap stops being cheaper than the table).
        let bitmapBits = min(max(4096, (64 * prints.count).nextPowerOfTwo), 1 << 22)
        let slots = max(16, (2 * prints.count).nextPowerOfTwo)
        bitmap = .allocate(capacity: bitmapBits / 64)
        bitmap.initialize(repeating: 0)
        table = .allocate(capacity: slots)
        table.initialize(repeating: 0)
        let shift = Int32(64 - bitmapBits.trailingZeroBitCount)
        for print in prints {
            let hash = consentry_word_print_hash(print)
            let bit = Int(hash >> UInt64(shift))
            bitmap[bit >> 6] |= 1 << UInt64(bit & 63)
            var slot = Int(hash >> UInt64(64 - slots.trailingZeroBitCount))
            while table[slot] != 0 { slot = (slot + 1) & (slots - 1) }
            table[slot] = print
        }
        set = .allocate(capacity: 1)
        set.initialize(to: consentry_word_set(
            bitmap: UnsafePointer(bitmap.baseAddress), bitmapShift: shift,
            table: UnsafePointer(table.baseAddress), tableShift: Int32(64 - slots.trailingZeroBitCount), tableMask: UInt64(slots - 1),
            shortest: Int32(min(8, words.map(\.count).min() ?? 1))))
    }

    deinit {
        bitmap.deallocate()
        table.deallocate()
        set.deallocate()
    }

    /// A word's print (never 0 for a word of at least one byte).
    static func print(_ word: [UInt8]) -> UInt64 {
        word.withUnsafeBufferPointer(print)
    }

    static func print(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        consentry_word_print(word.baseAddress, word.count)
    }

    /// Whether the contents of a JSON string, escapes as they are, may hold one of the words
    /// whole: false only when no word in them has the print of one in the set.
    func mayHold(json raw: UnsafeBufferPointer<UInt8>) -> Bool {
        probe.mayHold(json: raw)
    }

    /// ``mayHold(json:)`` through a plain pointer to the set, valid while the set lives: asking
    /// it touches no reference count.
    struct Probe {
        fileprivate let set: UnsafePointer<consentry_word_set>

        func mayHold(json raw: UnsafeBufferPointer<UInt8>) -> Bool {
            consentry_word_set_may_hold(set, raw.baseAddress, raw.count) != 0
        }
    }

    var probe: Probe { Probe(set: set) }

    /// ``mayHold(json:)`` by one of the C implementations (0 portable, 2 AVX2, 3 AVX-512BW), for
    /// tests; nil when this processor lacks it.
    func mayHold(json raw: UnsafeBufferPointer<UInt8>, level: Int) -> Bool? {
        var result: Int32 = 0
        let ran = consentry_word_set_may_hold_using(Int32(level), set, raw.baseAddress, raw.count, &result)
        return ran == 0 ? nil : result != 0
    }
}

private extension Int {
    /// The least power of two at least this (1 for 0).
    var nextPowerOfTwo: Int { self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount) }
}
