@testable import ConsentStorage
import Testing

/// A snapshot finds each member's ledger entries by member key: dense serial keys through an
/// array, sparse ones through a dictionary. Both must give every key its own range, and an
/// empty one to every key without entries.
struct KeyedRangesTests {
    /// Keys in increasing order, each with a few entries, laid end to end as a ledger holds them.
    static func ranges(keys: [Int64]) -> [(key: Int64, range: Range<Int>)] {
        var start = 0
        return keys.map { key in
            let count = Int(key % 3) + 1
            defer { start += count }
            return (key, start..<start + count)
        }
    }

    @Test(arguments: [
        [Int64](),
        [0],
        [1, 2, 3, 7, 8, 40],                      // dense, with gaps
        Array(stride(from: 1, through: 10_000, by: 2)),
        [5, 1_000_000_000, 1_000_000_001],        // sparse: a dictionary
        [3, Int64.max - 1],
    ])
    func everyKeyFindsItsOwnEntries(keys: [Int64]) {
        let ranges = Self.ranges(keys: keys)
        let table = KeyedRanges(ranges)
        let expected = Dictionary(uniqueKeysWithValues: ranges.map { ($0.key, $0.range) })
        for (key, range) in ranges { #expect(table.range(of: key) == range, "key \(key)") }
        // Keys without entries, between, before and after the ones with entries.
        let probes: [Int64] = [-1, 0, 1, 4, 6, 9, 39, 41, 10_001, 1_000_000, Int64.max, Int64.min]
        for key in probes where expected[key] == nil { #expect(table.range(of: key).isEmpty, "key \(key) has no entries") }
    }
}
