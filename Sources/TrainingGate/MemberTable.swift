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
        let hash = Self.hash(bytes, length)
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].used {
            if slots[index].hash == hash, equal(slots[index], bytes, length) { return slots[index].verdict }
            index = (index + 1) & mask
        }
        return nil
    }

    public func verdict(_ id: String) -> GateVerdict? {
        var id = id
        return id.withUTF8 { verdict($0.baseAddress ?? UnsafePointer(arena), $0.count) }
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
