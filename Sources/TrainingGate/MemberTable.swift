import CScan
import ConsentCore
import Foundation

/// Member ids → verdicts, looked up by the raw bytes of an id as they appear in a record.
///
/// Open addressing over one byte arena: no per-entry objects, no reference counting, and a
/// lookup neither allocates nor copies. Built once, then read by every filter thread.
public final class MemberTable: @unchecked Sendable {
    private struct Slot {
        var hash: UInt64 = 0
        var offset: UInt32 = 0
        var length: UInt32 = 0
        var verdict = GateVerdict(drop: nil)
        var used = false
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity: Int
    private var arenaUsed = 0
    public private(set) var count = 0

    public init(expectedCount: Int = 1024) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(), count: capacity)
        mask = capacity - 1
        arenaCapacity = max(1024, expectedCount * 24)
        arena = .allocate(capacity: arenaCapacity)
    }

    deinit {
        slots.deinitialize(count: mask + 1)
        slots.deallocate()
        arena.deallocate()
    }

    /// Adds or replaces the verdict of the id with these UTF-8 bytes.
    public func insert(_ id: UnsafeRawBufferPointer, _ verdict: GateVerdict) {
        precondition(!prebuilt, "a table built dense by a Loader takes no more ids")
        dense = nil
        sealed = false
        if (count + 1) * 2 > mask + 1 { grow() }
        let hash = Self.hash(id.baseAddress!, id.count)
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].used {
            if slots[index].hash == hash, equal(slots[index], id.baseAddress!, id.count) {
                slots[index].verdict = verdict
                return
            }
            index = (index + 1) & mask
        }
        if arenaUsed + id.count > arenaCapacity {
            let capacity = max(arenaCapacity * 2, arenaUsed + id.count)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            bigger.update(from: arena, count: arenaUsed)
            arena.deallocate()
            arena = bigger
            arenaCapacity = capacity
        }
        (arena + arenaUsed).update(from: id.baseAddress!.assumingMemoryBound(to: UInt8.self), count: id.count)
        slots[index] = Slot(hash: hash, offset: UInt32(arenaUsed), length: UInt32(id.count), verdict: verdict, used: true)
        arenaUsed += id.count
        count += 1
    }

    public func insert(_ id: String, _ verdict: GateVerdict) {
        var id = id
        id.withUTF8 { insert(UnsafeRawBufferPointer($0), verdict) }
    }

    /// The verdict of the id with these bytes, or nil when the table does not hold it.
    @inline(__always)
    public func verdict(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> GateVerdict? {
        lookup.verdict(bytes, length)
    }

    /// Starts bringing the slot of the id with these bytes into the cache (a later
    /// ``verdict(_:_:)`` for it then finds it there). Changes nothing.
    @inline(__always)
    public func prefetch(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
        lookup.prefetch(bytes, length)
    }

    /// ``verdict(_:_:)`` in the hashed layout (the table is not dense).
    @inline(__always)
    private func hashedVerdict(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> GateVerdict? {
        let hash = Self.hash(bytes, length)
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].used {
            if slots[index].hash == hash, equal(slots[index], bytes, length) { return slots[index].verdict }
            index = (index + 1) & mask
        }
        return nil
    }

    @inline(__always)
    private func hashedPrefetch(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
        consentry_prefetch(slots + (Int(truncatingIfNeeded: Self.hash(bytes, length)) & mask))
    }

    /// Lookups in this table that touch no reference count (see ``DenseIDs/View``), for a
    /// caller that keeps the table alive and changes it no more while it looks up.
    public struct Lookup {
        fileprivate let dense: DenseIDs.View?
        fileprivate unowned(unsafe) let table: MemberTable

        /// ``MemberTable/verdict(_:_:)``.
        @inline(__always)
        public func verdict(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> GateVerdict? {
            if let dense { return dense.verdict(bytes, length) }
            return table.hashedVerdict(bytes, length)
        }

        /// ``MemberTable/prefetch(_:_:)``.
        @inline(__always)
        public func prefetch(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
            if let dense { return dense.prefetch(bytes, length) }
            table.hashedPrefetch(bytes, length)
        }
    }

    public var lookup: Lookup { Lookup(dense: dense?.view, table: self) }

    public func verdict(_ id: String) -> GateVerdict? {
        var id = id
        return id.withUTF8 { verdict($0.baseAddress ?? UnsafePointer(arena), $0.count) }
    }

    /// Calls `body` with the bytes of every id held, in no particular order.
    public func forEachID(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        for position in 0...mask where slots[position].used {
            try body(UnsafeBufferPointer(start: arena + Int(slots[position].offset), count: Int(slots[position].length)))
        }
    }

    // MARK: Dense ids

    /// Set by ``seal()`` when every id is one common prefix followed by a decimal number
    /// (`123`, `urn:li:member:123`), as platforms' ids usually are: lookups then index an array
    /// by the number, one cache-friendly read and no comparison of bytes.
    private var dense: DenseIDs?

    /// Built dense by a ``Loader``: there are no slots, only the dense layout.
    private var prebuilt = false
    /// Sealed since the last insert: sealing again would change nothing.
    private var sealed = false

    /// Call once every id is inserted; picks the dense layout when the ids allow it.
    public func seal() {
        if prebuilt || sealed { return }
        sealed = true
        dense = nil
        guard count > 0 else { return }
        var numbers = PrefixedNumbers()
        var largest = 0
        for position in 0...mask where slots[position].used {
            let id = UnsafeBufferPointer(start: arena + Int(slots[position].offset), count: Int(slots[position].length))
            guard let value = numbers.number(of: id) else { return }
            largest = max(largest, value)
        }
        guard largest <= max(count * 8, 1 << 20), largest < DenseIDs.limit, let prefix = numbers.prefix else { return }
        let table = DenseIDs(prefix: prefix, size: largest + 1)
        for position in 0...mask where slots[position].used {
            let start = arena + Int(slots[position].offset)
            let length = Int(slots[position].length)
            let value = DenseIDs.number(start + prefix.count, length - prefix.count)!
            table.set(value, slots[position].verdict)
        }
        dense = table
    }

    @inline(__always)
    private func equal(_ slot: Slot, _ bytes: UnsafeRawPointer, _ length: Int) -> Bool {
        Int(slot.length) == length && memcmp(arena + Int(slot.offset), bytes, length) == 0
    }

    private func grow() {
        let old = slots
        let oldCapacity = mask + 1
        let capacity = oldCapacity * 2
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(), count: capacity)
        mask = capacity - 1
        for position in 0..<oldCapacity where old[position].used {
            var index = Int(truncatingIfNeeded: old[position].hash) & mask
            while slots[index].used { index = (index + 1) & mask }
            slots[index] = old[position]
        }
        old.deinitialize(count: oldCapacity)
        old.deallocate()
    }

    /// A fast 64-bit hash of short byte strings: 8 bytes at a time, multiply-xorshift mixing.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawPointer, _ length: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(length)
        var offset = 0
        while offset + 8 <= length {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            offset += 8
        }
        if offset < length {
            var tail: UInt64 = 0
            for index in offset..<length {
                tail |= UInt64(bytes.load(fromByteOffset: index, as: UInt8.self)) << (8 * UInt64(index - offset))
            }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }
}

extension MemberTable {
    /// Builds a table from many ids at once (a snapshot, the store's decisions, a list).
    ///
    /// While every id is one prefix followed by a number, ids are kept as numbers in a compact
    /// list and the table is made dense directly, without hashing anything or a ``seal()``
    /// pass; the first id that is not turns the rest into ordinary inserts.
    public struct Loader {
        private let table: MemberTable
        private var prefixed = PrefixedNumbers()
        private var numbers: [Int32] = []
        private var verdicts: [GateVerdict] = []
        private var numeric = true
        private var largest = 0

        public init(expectedCount: Int) {
            table = MemberTable(expectedCount: 16)
            numbers.reserveCapacity(expectedCount)
            verdicts.reserveCapacity(expectedCount)
        }

        public mutating func add(_ id: UnsafeRawBufferPointer, _ verdict: GateVerdict) {
            if numeric, let number = number(of: id) {
                numbers.append(Int32(number))
                verdicts.append(verdict)
                largest = max(largest, number)
                return
            }
            spill()
            table.insert(id, verdict)
        }

        public mutating func add(_ id: String, _ verdict: GateVerdict) {
            var id = id
            id.withUTF8 { add(UnsafeRawBufferPointer($0), verdict) }
        }

        /// The number after the common prefix, or nil when this id breaks the pattern.
        private mutating func number(of id: UnsafeRawBufferPointer) -> Int? {
            guard let value = prefixed.number(of: id.bindMemory(to: UInt8.self)), value < DenseIDs.limit else { return nil }
            return value
        }

        /// Moves the ids gathered as numbers into ordinary inserts.
        private mutating func spill() {
            guard numeric else { return }
            numeric = false
            let prefix = prefixed.prefix ?? []
            for (number, verdict) in zip(numbers, verdicts) {
                var id = prefix
                id.append(contentsOf: String(number).utf8)
                id.withUnsafeBytes { table.insert($0, verdict) }
            }
            numbers = []
            verdicts = []
        }

        /// The table, dense when the ids allowed it (as ``seal()`` would choose).
        public consuming func finish() -> MemberTable {
            guard numeric, !numbers.isEmpty else {
                table.seal()
                return table
            }
            guard largest <= max(numbers.count * 8, 1 << 20) else {
                spill()
                table.seal()
                return table
            }
            let dense = DenseIDs(prefix: prefixed.prefix ?? [], size: largest + 1)
            var distinct = 0
            for (number, verdict) in zip(numbers, verdicts) {
                if dense.codes[Int(number)] == 0 { distinct += 1 }
                dense.set(Int(number), verdict)
            }
            table.adopt(dense, count: distinct)
            return table
        }
    }

    /// For `--no-record-times`, where a member's usable-from date (when they turn or turned the
    /// minimum age) only answers one question: were they a minor at some time since
    /// `windowStartMicros`? A dense table that keeps dates (8 bytes a member beside its one-byte
    /// code, a second cache miss per record) is copied with each date turned into that answer
    /// (`.max` if so, `.min` if not, as ``RecordRules/minorInWindow(_:windowStartMicros:)`` reads
    /// them), decided once per member instead of once per record. Any other table is returned as
    /// it is: without dates there is nothing to answer, and a hashed table keeps each date in the
    /// slot its lookup reads anyway.
    public func answeringMinorsInWindow(windowStartMicros: Int64?) -> MemberTable {
        guard let dense, dense.usableDense != nil else { return self }
        let copy = MemberTable(expectedCount: 16)
        copy.adopt(dense.answeringMinorsInWindow(windowStartMicros: windowStartMicros), count: count)
        return copy
    }

    fileprivate func adopt(_ dense: DenseIDs, count: Int) {
        self.dense = dense
        self.count = count
        prebuilt = true
    }
}

/// Ids read as one common prefix followed by a canonical decimal number (`123`,
/// `urn:li:member:123`): the first id sets the prefix, later ones must share it.
struct PrefixedNumbers {
    private(set) var prefix: [UInt8]?

    /// The id's number, or nil when it does not end in one or its prefix differs.
    mutating func number(of id: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = id.baseAddress else { return nil }
        var digitsStart = id.count
        while digitsStart > 0, id[digitsStart - 1] >= 48, id[digitsStart - 1] <= 57 { digitsStart -= 1 }
        guard let value = DenseIDs.number(base + digitsStart, id.count - digitsStart) else { return nil }
        if let prefix {
            guard prefix.count == digitsStart, prefix.elementsEqual(id[0..<digitsStart]) else { return nil }
        } else {
            prefix = Array(id[0..<digitsStart])
        }
        return value
    }
}

/// Verdicts indexed by the number in `prefix + number` ids. Code 0: not held; 1: eligible;
/// 2 + n: dropped for the ``DropReason`` with raw value n; with ``minorInWindow`` added, the
/// member was a minor in the window (a table that answers that instead of keeping dates).
final class DenseIDs {
    /// Numbers up to this are indexed directly (64 MiB of codes at most).
    static let limit = 1 << 26
    /// Added to a code: the member was a minor at some time in the window.
    static let minorInWindow: UInt8 = 0x80
    let prefix: [UInt8]
    /// The prefix again, where a lookup reads it without touching an array's reference count.
    private let prefixBytes: UnsafeMutableBufferPointer<UInt8>
    let codes: UnsafeMutablePointer<UInt8>
    let size: Int
    /// Minimum-age limits, only where one exists (most members of a plain list have none).
    var usableDense: UnsafeMutablePointer<Int64>?

    init(prefix: [UInt8], size: Int) {
        self.prefix = prefix
        prefixBytes = .allocate(capacity: prefix.count)
        _ = prefixBytes.initialize(from: prefix)
        self.size = size
        codes = .allocate(capacity: size)
        codes.initialize(repeating: 0, count: size)
    }

    /// The table as plain pointers, for lookups (valid while it lives and takes no more ``set(_:_:)``).
    var view: View { View(prefix: UnsafeBufferPointer(prefixBytes), codes: codes, size: size, usable: usableDense) }

    deinit {
        prefixBytes.deallocate()
        codes.deallocate()
        usableDense?.deallocate()
    }

    func set(_ number: Int, _ verdict: GateVerdict) {
        codes[number] = verdict.drop.map { UInt8($0.rawValue + 2) } ?? 1
        guard verdict.usableFromMicros != .min else { return }
        if usableDense == nil {
            usableDense = .allocate(capacity: size)
            usableDense!.initialize(repeating: .min, count: size)
        }
        usableDense![number] = verdict.usableFromMicros
    }

    /// The canonical decimal number these bytes spell (no sign, no leading zero), if small enough.
    @inline(__always)
    static func number(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        guard length > 0, length <= 9, length == 1 || bytes[0] != 48 else { return nil }
        var value = 0
        for index in 0..<length {
            let digit = bytes[index] &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// A dense table's lookups, over plain pointers: the threads that judge lines share one
    /// table, and a reference count they all changed for every record would bounce its cache
    /// line between the cores.
    struct View {
        let prefix: UnsafeBufferPointer<UInt8>
        let codes: UnsafeMutablePointer<UInt8>
        let size: Int
        let usable: UnsafeMutablePointer<Int64>?

        @inline(__always)
        func prefetch(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
            let prefixLength = prefix.count
            guard length > prefixLength, let number = DenseIDs.number(bytes + prefixLength, length - prefixLength), number < size else { return }
            consentry_prefetch(codes + number)
            if let usable { consentry_prefetch(usable + number) }
        }

        @inline(__always)
        func verdict(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> GateVerdict? {
            let prefixLength = prefix.count
            guard length > prefixLength else { return nil }
            if prefixLength > 0, memcmp(bytes, prefix.baseAddress!, prefixLength) != 0 { return nil }
            guard let number = DenseIDs.number(bytes + prefixLength, length - prefixLength), number < size else { return nil }
            let code = codes[number]
            if code == 0 { return nil }
            let usable = code & DenseIDs.minorInWindow != 0 ? .max : self.usable?[number] ?? .min
            let base = code & ~DenseIDs.minorInWindow
            return GateVerdict(drop: base == 1 ? nil : DropReason(rawValue: Int(base) - 2), usableFromMicros: usable)
        }
    }

    /// ``MemberTable/answeringMinorsInWindow(windowStartMicros:)`` of a dense table: the codes,
    /// each marked when its member was a minor in the window, and no dates.
    func answeringMinorsInWindow(windowStartMicros: Int64?) -> DenseIDs {
        let copy = DenseIDs(prefix: prefix, size: size)
        copy.codes.update(from: codes, count: size)
        if let usableDense {
            for number in 0..<size where codes[number] != 0
                && RecordRules.minorInWindow(GateVerdict(drop: nil, usableFromMicros: usableDense[number]), windowStartMicros: windowStartMicros) {
                copy.codes[number] |= Self.minorInWindow
            }
        }
        return copy
    }
}
