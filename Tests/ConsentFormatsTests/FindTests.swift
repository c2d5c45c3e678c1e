import CScan
import Testing

/// `consentry_find` (the gate's search for the member key near a line's start, to prefetch
/// its table slot) against a plain search one place at a time: needles of every length up to
/// 11 placed at every offset across the 16-byte steps, near misses that share the first two
/// bytes or the first eight, and haystacks that end just after or just before a match.
struct FindTests {
    static func reference(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    static func found(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { wanted in
                guard let at = consentry_find(hay.baseAddress, hay.count, wanted.baseAddress, wanted.count) else { return nil }
                return UnsafeRawPointer(hay.baseAddress!).distance(to: at)
            }
        }
    }

    @Test func findsWhatAPlainSearchFinds() {
        var generator = SystemRandomNumberGenerator()
        let key = Array("\"member_id\"".utf8)
        for length in 1...key.count {
            let needle = Array(key.prefix(length))
            for size in [length, length + 1, 15, 16, 17, 31, 32, 33, 64, 100] where size >= length {
                for place in 0...(size - length) {
                    // Filler of quotes and the needle's own bytes: many false starts.
                    var haystack = (0..<size).map { _ in [0x22, 0x6D, 0x65, 0x20][Int.random(in: 0..<4, using: &generator)] as UInt8 }
                    #expect(Self.found(haystack, needle) == Self.reference(haystack, needle), "\(haystack) \(needle)")
                    haystack.replaceSubrange(place..<(place + length), with: needle)
                    #expect(Self.found(haystack, needle) == Self.reference(haystack, needle), "length \(length), size \(size), at \(place)")
                    // A near miss: the last byte differs.
                    if length > 2 {
                        haystack[place + length - 1] ^= 0x01
                        #expect(Self.found(haystack, needle) == Self.reference(haystack, needle), "near miss at \(place)")
                    }
                }
            }
        }
        #expect(Self.found([], key) == nil)
        #expect(Self.found(Array("\"member_i".utf8), key) == nil)
    }
}
