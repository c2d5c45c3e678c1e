import ConsentCore
import ConsentFormats
import CScan
import Foundation

/// One block's lines, judged: the byte ranges to keep and the drop counts.
struct JudgedBlock {
    /// Kept byte ranges as start, end pairs (adjacent kept lines merged into one range).
    var runs: [Int] = []
    var counts: [Int]
    var lines = 0
    var kept = 0
    /// The block's last line was kept and has no newline (the end of an input).
    var unterminatedKept = false
    /// The first malformed line: its index in the block and what is wrong.
    var firstMalformed: (Int, String)?
}

/// Judges lines; one per scanning thread (it owns scratch memory).
final class LineJudge: @unchecked Sendable {
    let scanner: RecordScanner
    let table: MemberTable
    /// Its lookups, asked without touching its reference count (``MemberTable/Lookup``); `table`
    /// keeps it alive.
    private let lookup: MemberTable.Lookup
    let unknownIsEligible: Bool
    let usesTime: Bool
    let asOfMicros: Int64
    let lookbackMicros: Int64?
    /// The ids of kept records' members, when collecting them.
    let kept: MemberTable?
    /// With `--category-field`: whether each category (by ``Category/position``) may be kept.
    let categoryAllowed: [Bool]?
    let checksReservation: Bool
    /// `--no-record-times`: members who were minors in the window are left out whole.
    let noRecordTimes: Bool
    /// Kept records by category (by position), with `--category-field`.
    private(set) var keptCategories: [Int]
    /// Non-members' objections: what identifies them, and records dropped for each.
    let matcher: ThirdPartyMatcher?
    /// The matcher's quick "no" (``WordSet/Probe``), asked before the matcher itself is touched:
    /// a plain pointer, so that the threads judging lines do not take turns with the matcher's
    /// reference count for every record.
    private let quickNo: WordSet.Probe?
    /// Whether an integer field (a member id) may hold an identifier (``ThirdPartyMatcher/mayMatchIntegers``).
    private let matchesIntegers: Bool
    /// Match them against the whole record rather than the text and member fields.
    let matchesWholeRecords: Bool
    private(set) var thirdPartyCounts: [Int]
    /// Scratch for the folded text being matched.
    private var folded: [UInt8] = []
    /// `"` + the member field + `"`: the key a line names its member by.
    private let memberKey: UnsafeMutableBufferPointer<UInt8>

    deinit { memberKey.deallocate() }

    /// - Parameter table: the members' verdicts, when not `decisions.table` as it is (under
    ///   `--no-record-times`, ``MemberTable/answeringMinorsInWindow(windowStartMicros:)`` of it).
    init(decisions: GateDecisions, options: FilterOptions, matcher: ThirdPartyMatcher? = nil, table: MemberTable? = nil) {
        self.matcher = matcher
        quickNo = matcher?.quickNo
        matchesIntegers = matcher?.mayMatchIntegers ?? false
        matchesWholeRecords = options.matchesWholeRecords
        thirdPartyCounts = [Int](repeating: 0, count: decisions.thirdParty.count)
        kept = options.collectMembers ? MemberTable() : nil
        scanner = RecordScanner(memberField: Array(options.memberField.utf8), timeField: options.timeField.map { Array($0.utf8) },
                                categoryField: options.categoryField.map { Array($0.utf8) },
                                reservationField: options.reservationField.map { Array($0.utf8) },
                                textField: matcher == nil ? nil : options.textField.map { Array($0.utf8) })
        let allowed = decisions.allowedCategories ?? []
        categoryAllowed = options.categoryField == nil ? nil : Category.allCases.map(allowed.contains)
        checksReservation = options.reservationField != nil
        noRecordTimes = options.noRecordTimes
        keptCategories = [Int](repeating: 0, count: Category.allCases.count)
        self.table = table ?? decisions.table
        lookup = self.table.lookup
        let key = Array("\"\(options.memberField)\"".utf8)
        memberKey = UnsafeMutableBufferPointer.allocate(capacity: key.count)
        _ = memberKey.initialize(from: key)
        unknownIsEligible = decisions.unknownIsEligible
        usesTime = options.timeField != nil
        asOfMicros = Timestamp.microseconds(decisions.asOf)
        lookbackMicros = decisions.lookbackStart.map(Timestamp.microseconds)
    }

    func judge(_ block: Block) -> JudgedBlock {
        var judged = JudgedBlock(counts: [Int](repeating: 0, count: DropReason.allCases.count))
        let base = block.base
        let count = block.count
        var start = 0
        var runStart = -1
        var found = RecordScanner.Found()
        let scanner = scanner
        while start < count {
            prefetchMember(base + start, count - start)
            let (valid, length) = scanner.scanLine(base + start, count - start, into: &found)
            let drop = valid ? judge(found, base + start, length: length) : .malformed
            let end = start + length
            let next = min(end + 1, count)
            if let drop {
                judged.counts[drop.rawValue] += 1
                if drop == .malformed, judged.firstMalformed == nil {
                    judged.firstMalformed = (judged.lines, "not a valid JSON object")
                }
                if runStart >= 0 {
                    judged.runs.append(runStart)
                    judged.runs.append(start)
                    runStart = -1
                }
            } else {
                judged.kept += 1
                if runStart < 0 { runStart = start }
                if end == count { judged.unterminatedKept = true }
            }
            judged.lines += 1
            start = next
        }
        if runStart >= 0 {
            judged.runs.append(runStart)
            judged.runs.append(count)
        }
        return judged
    }

    /// Starts bringing the table slot of the member a line names early (`{"member_id": 123`,
    /// `{"category": "content.posts", "member_id":"u-7"`: the key within its first
    /// ``prefetchReach`` bytes) into the cache before the line is scanned: the table is far
    /// larger than what stays cached while the data streams through, and the lookup at the
    /// line's end then finds its slot there instead of waiting on memory. Only a hint: a line
    /// that names its member later, or oddly, or holds the key's text in an earlier value, is
    /// judged the same, after its scan.
    @inline(__always)
    private func prefetchMember(_ line: UnsafePointer<UInt8>, _ available: Int) {
        let keyLength = memberKey.count
        let reach = min(available, Self.prefetchReach)
        guard reach > keyLength + 2, let found = consentry_find(line, reach, memberKey.baseAddress!, keyLength) else { return }
        var index = line.distance(to: found.assumingMemoryBound(to: UInt8.self)) + keyLength
        let limit = min(available, index + 64)
        while index < limit, line[index] == 0x20 { index += 1 }
        guard index < limit, line[index] == 0x3A else { return }
        index += 1
        while index < limit, line[index] == 0x20 { index += 1 }
        guard index < limit else { return }
        if line[index] == 0x22 { index += 1 }
        let start = index
        while index < limit, line[index] != 0x22, line[index] != 0x5C, line[index] != 0x2C, line[index] != 0x7D { index += 1 }
        if index < limit, index > start { lookup.prefetch(line + start, index - start) }
    }

    /// How far into a line the member's key is looked for, to prefetch its slot.
    static let prefetchReach = 256

    /// Judges a valid record: nil to keep it, otherwise why it is dropped.
    @inline(__always)
    private func judge(_ found: RecordScanner.Found, _ line: UnsafePointer<UInt8>, length: Int) -> DropReason? {
        var category: Category?
        let drop = judge(found, line, length: length, category: &category)
        if drop == nil {
            if let kept { remember(found, line, in: kept) }
            if let category { keptCategories[category.position] += 1 }
        }
        return drop
    }

    /// Adds the member of this kept line, as its scan found it, to `table`.
    private func remember(_ found: RecordScanner.Found, _ line: UnsafePointer<UInt8>, in table: MemberTable) {
        if found.member.kind == .escapedString {
            if let id = decode(line, found.member.start..<found.member.end) { table.insert(id, GateVerdict(drop: nil)) }
        } else {
            table.insert(UnsafeRawBufferPointer(start: line + found.member.start, count: found.member.end - found.member.start),
                         GateVerdict(drop: nil))
        }
    }

    @inline(__always)
    private func judge(_ found: RecordScanner.Found, _ line: UnsafePointer<UInt8>, length: Int, category: inout Category?) -> DropReason? {
        guard found.memberCount == 1 else { return .missingMember }
        let verdict: GateVerdict?
        switch found.member.kind {
        case .string, .integer:
            guard found.member.end > found.member.start else { return .missingMember }
            verdict = lookup.verdict(line + found.member.start, found.member.end - found.member.start)
        case .escapedString:
            // Rare: decode the escapes. Text no member id can be (a lone surrogate) is simply not held.
            if var id = decode(line, found.member.start..<found.member.end) {
                guard !id.isEmpty else { return .missingMember }
                verdict = id.withUTF8 { lookup.verdict($0.baseAddress!, $0.count) }
            } else {
                verdict = nil
            }
        default:
            return .missingMember
        }
        let known = verdict ?? (unknownIsEligible ? GateVerdict(drop: nil) : GateVerdict(drop: .memberUnknown))
        if let drop = known.drop { return drop }
        if let categoryAllowed {
            guard let named = recordCategory(line, found) else { return .missingCategory }
            guard let named = named, categoryAllowed[named.position] else { return .categoryNotAllowed }
            category = named
        }
        if checksReservation, reserves(line, found) { return .rightsReserved }
        if matcher != nil, let owner = matchesWholeRecords ? wholeRecordOwner(line, length) : thirdPartyOwner(line, found) {
            thirdPartyCounts[owner] += 1
            return .thirdPartyObjection
        }
        if noRecordTimes, RecordRules.minorInWindow(known, windowStartMicros: lookbackMicros) { return .minorInWindow }
        guard usesTime else { return nil }
        return RecordRules.judge(known, time: .some(recordTime(line, found)), asOfMicros: asOfMicros, lookbackMicros: lookbackMicros)
    }

    /// The record's category: nil when it names none (absent or null), `.some(nil)` when it
    /// names something outside the taxonomy (or not a string).
    private func recordCategory(_ line: UnsafePointer<UInt8>, _ found: RecordScanner.Found) -> Category?? {
        let start = line + found.category.start
        let length = found.category.end - found.category.start
        switch found.category.kind {
        case .none: return nil
        case .string: return .some(Category(utf8: UnsafeBufferPointer(start: start, count: length)))
        case .escapedString: return .some(decode(line, found.category.start..<found.category.end).flatMap(Category.init(rawValue:)))
        case .other where Self.isNull(start, length): return nil
        default: return .some(nil)
        }
    }

    /// The non-member's objection (its index) whose identifier the record's text or member field
    /// holds, if any.
    private func thirdPartyOwner(_ line: UnsafePointer<UInt8>, _ found: RecordScanner.Found) -> Int? {
        if let owner = thirdPartyOwner(line, found.member) { return owner }
        return thirdPartyOwner(line, found.text)
    }

    /// The owner of an identifier anywhere in the record (``ThirdPartyMatcher/owner(inRecord:scratch:)``).
    private func wholeRecordOwner(_ line: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        let record = UnsafeBufferPointer(start: line, count: length)
        if let quickNo, !quickNo.mayHold(json: record) { return nil }
        guard let matcher else { return nil }
        return matcher.owner(inRecord: record, scratch: &folded)
    }

    /// The owner of an identifier in one field's value (a string or a number), if any.
    private func thirdPartyOwner(_ line: UnsafePointer<UInt8>, _ value: RecordScanner.Value) -> Int? {
        let (kind, start, end) = (value.kind, value.start, value.end)
        guard kind == .string || kind == .escapedString || (kind == .integer && matchesIntegers) else { return nil }
        let raw = UnsafeBufferPointer(start: line + start, count: end - start)
        if let quickNo, !quickNo.mayHold(json: raw) { return nil }
        guard let matcher else { return nil }
        if folded.count < raw.count { folded = [UInt8](repeating: 0, count: max(raw.count, 2 * folded.count)) }
        let length = folded.withUnsafeMutableBufferPointer { ThirdPartyMatcher.foldJSON(raw, into: $0) }
        if let length { return folded.withUnsafeBufferPointer { matcher.firstMatch(UnsafeBufferPointer(rebasing: $0[..<length])) } }
        // A \u escape: decode the string, then fold it.
        guard let text = decode(line, start..<end) else { return nil }
        var decoded: [UInt8] = []
        Array(text.utf8).withUnsafeBufferPointer { ThirdPartyMatcher.fold($0, into: &decoded) }
        return decoded.withUnsafeBufferPointer { matcher.firstMatch($0) }
    }

    /// Whether the record's reservation field reserves it: the usual spellings straight from
    /// the bytes, anything else through ``Reservation``.
    private func reserves(_ line: UnsafePointer<UInt8>, _ found: RecordScanner.Found) -> Bool {
        if found.reservation.kind == .string || found.reservation.kind == .integer,
           let known = Reservation.known(utf8: UnsafeBufferPointer(start: line + found.reservation.start,
                                                                  count: found.reservation.end - found.reservation.start)) {
            return known
        }
        return Reservation.reserves(reservation(line, found))
    }

    /// The record's reservation field, as ``Reservation`` reads it.
    private func reservation(_ line: UnsafePointer<UInt8>, _ found: RecordScanner.Found) -> Reservation.Value {
        let start = line + found.reservation.start
        let length = found.reservation.end - found.reservation.start
        switch found.reservation.kind {
        case .none: return .absent
        case .string: return .string(String(decoding: UnsafeBufferPointer(start: start, count: length), as: UTF8.self))
        case .escapedString: return decode(line, found.reservation.start..<found.reservation.end).map(Reservation.Value.string) ?? .other
        case .integer, .number: return .number(String(decoding: UnsafeBufferPointer(start: start, count: length), as: UTF8.self))
        case .other: return Self.isNull(start, length) ? .absent : .other
        }
    }

    private static func isNull(_ start: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        length == 4 && start[0] == 0x6E && start[1] == 0x75 && start[2] == 0x6C && start[3] == 0x6C
    }

    /// The record's time in microseconds: an RFC 3339 string or epoch seconds; nil when absent
    /// or unreadable.
    private func recordTime(_ line: UnsafePointer<UInt8>, _ found: RecordScanner.Found) -> Int64? {
        let start = line + found.time.start
        let length = found.time.end - found.time.start
        switch found.time.kind {
        case .string:
            return Timestamp.microseconds(utf8: UnsafeBufferPointer(start: start, count: length))
        case .escapedString:
            return decode(line, found.time.start..<found.time.end).flatMap { Timestamp.parse($0).map(Timestamp.microseconds) }
        case .integer, .number:
            return EpochSeconds.microseconds(start, length)
        default:
            return nil
        }
    }
}

extension LineJudge {
    /// The decoded text of the string whose contents are at `range` of `line`.
    func decode(_ line: UnsafePointer<UInt8>, _ range: Range<Int>) -> String? {
        let scanner = JSONScanner(UnsafeBufferPointer(start: line, count: range.upperBound))
        return try? scanner.decode(JSONScanner.StringToken(range: range, hasEscapes: true))
    }
}

/// Epoch seconds as JSON numbers: `1730000000`, `1730000000.25`, `1.73e9`.
enum EpochSeconds {
    static func microseconds(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> Int64? {
        var i = 0
        var negative = false
        if i < length, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var seconds: Int64 = 0
        var digits = 0
        while i < length, bytes[i] >= 48, bytes[i] <= 57 {
            seconds = seconds * 10 + Int64(bytes[i] - 48)
            digits += 1
            i += 1
            guard digits <= 12 else { return nil }
        }
        var micros: Int64 = 0
        if i < length, bytes[i] == UInt8(ascii: ".") {
            i += 1
            var places = 0
            while i < length, bytes[i] >= 48, bytes[i] <= 57 {
                if places < 6 { micros = micros * 10 + Int64(bytes[i] - 48); places += 1 }
                i += 1
            }
            while places < 6 { micros *= 10; places += 1 }
        }
        if i < length {
            // An exponent: rare enough to go through Double.
            guard let value = Double(String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)),
                  abs(value) < 1e12 else { return nil }
            return Int64((value * 1_000_000).rounded(.down))
        }
        let total = seconds * 1_000_000 + micros
        return negative ? -total : total
    }
}
