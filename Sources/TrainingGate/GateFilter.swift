import ConsentCore
import ConsentFormats
import Crypto
import Foundation

/// The decisions a filter applies: one verdict per member id, and what to do with ids the
/// source does not hold.
public struct GateDecisions: @unchecked Sendable {
    public let table: MemberTable
    /// True for a plain exclusions list (an id not listed is kept); false for the store or a
    /// snapshot, which list every member (an id not held is `member_unknown`).
    public let unknownIsEligible: Bool
    public let asOf: Date
    public let lookbackStart: Date?
    /// The policy's minimum age: records a member made while younger are never used. Nil when
    /// the source holds no policy.
    public let minimumAge: Int?
    /// For an exclusions list: whether (and since when) it also lists every member who was under
    /// the minimum age in the window; nil when it does not say so.
    public let minorsListed: MinorsInWindow?
    /// The categories records may be of (both policies allow them); nil when the source holds no
    /// policy (a plain exclusions list without `--policy`), and then no category can be checked.
    public let allowedCategories: Set<Category>?
    /// Objections from people who are not members, pending or upheld (rejected ones are not
    /// here): records that name them are dropped. Only the store knows them.
    public let thirdParty: [ThirdPartyObjection]
    public let policyVersion: String?
    public let policySHA256: String?
    /// The moment the decisions were taken: a member is kept only if eligible at `asOf` and
    /// then (nil for a plain exclusions list, which says nothing of when it was made).
    public let decidedAt: Date?
    /// Where the decisions came from, for the report: `db`, `snapshot PATH`, `exclusions PATH`.
    public let source: String

    public init(table: MemberTable, unknownIsEligible: Bool, asOf: Date, lookbackStart: Date?, minimumAge: Int? = nil,
                minorsListed: MinorsInWindow? = nil, allowedCategories: Set<Category>? = nil, thirdParty: [ThirdPartyObjection] = [],
                policyVersion: String?, policySHA256: String?, decidedAt: Date? = nil, source: String) {
        self.thirdParty = thirdParty
        self.minimumAge = minimumAge
        self.minorsListed = minorsListed
        table.seal()
        self.table = table
        self.unknownIsEligible = unknownIsEligible
        self.asOf = asOf
        self.lookbackStart = lookbackStart
        self.allowedCategories = allowedCategories
        self.policyVersion = policyVersion
        self.policySHA256 = policySHA256
        self.decidedAt = decidedAt
        self.source = source
    }
}

/// How to read the records.
public struct FilterOptions: Sendable {
    public var memberField: String
    public var timeField: String?
    /// What every record is (`--category`): the run is refused when the policy does not allow it.
    public var category: Category?
    /// The top-level field naming each record's category (`--category-field`).
    public var categoryField: String?
    /// The top-level field carrying the content's own training reservation (``Reservation``).
    public var reservationField: String?
    /// The top-level field whose text may name people who objected without being members
    /// (``ThirdPartyObjection``); the member field is always checked too.
    public var textField: String?
    /// The records hold no text that could name anyone: only the member field is checked.
    public var noText = false
    /// The records carry no creation time: instead of judging each record's time, every record
    /// of a member who was under the minimum age in the window is dropped (`minor_in_window`).
    public var noRecordTimes = false
    /// Whether the records' category and time rules must be known (``GateFilter/checkRecordRules(_:_:)``):
    /// for every `filter` run; not for a purge, which removes members from a dataset already checked.
    public var checksRecordRules = true
    /// Scanning threads; the calling thread writes meanwhile (so 1 thread still overlaps the two).
    public var threads: Int
    /// Stop at the first malformed line with `FILE:LINE` instead of counting it.
    public var strict: Bool
    /// Compute the SHA-256 of the output, and of every input unless `hashInputs` is false.
    public var hashing: Bool
    /// Hash the inputs too (for the report); a purge, which checked its inputs already, and a
    /// registration need only the output's.
    public var hashInputs: Bool
    /// Gather the ids of the members whose records were kept (to register the output's lineage).
    public var collectMembers: Bool
    /// Called on the writing thread about twice a second with the progress so far.
    public var progress: (@Sendable (FilterProgress) -> Void)?
    public var blockSize: Int

    public init(memberField: String = "member_id", timeField: String? = nil, category: Category? = nil, categoryField: String? = nil,
                reservationField: String? = nil, noRecordTimes: Bool = false, threads: Int = 2, strict: Bool = false,
                hashing: Bool = false, collectMembers: Bool = false, blockSize: Int = 4 << 20) {
        self.noRecordTimes = noRecordTimes
        self.collectMembers = collectMembers
        self.category = category
        self.categoryField = categoryField
        self.reservationField = reservationField
        self.memberField = memberField
        self.timeField = timeField
        self.threads = threads
        self.strict = strict
        self.hashing = hashing
        hashInputs = hashing
        self.blockSize = blockSize
    }
}

/// How far a running filter is: bytes and records read, and the total bytes when known (plain
/// files; not standard input or .gz).
public struct FilterProgress: Sendable {
    public var bytes: Int
    public var records: Int
    public var totalBytes: Int?
    public var seconds: Double

    /// `512.3 MB of 1073.7 MB (48%), 1032000 records, 1.2 M records/s, ETA 0.5 s`
    public var line: String {
        var text = String(format: "%.1f MB", Double(bytes) / 1e6)
        if let totalBytes, totalBytes > 0 {
            text += String(format: " of %.1f MB (%d%%)", Double(totalBytes) / 1e6, bytes * 100 / totalBytes)
        }
        let rate = seconds > 0 ? Double(records) / seconds : 0
        text += String(format: ", %d records, %.2f M records/s", records, rate / 1e6)
        if let totalBytes, bytes > 0, seconds > 0 {
            text += String(format: ", ETA %.1f s", Double(totalBytes - bytes) / (Double(bytes) / seconds))
        }
        return text
    }
}

/// What a filter run did.
public struct FilterResult: Sendable {
    public struct Input: Sendable {
        public var path: String
        /// Bytes of records read (after decompression for `.gz`).
        public var bytes: Int
        public var records: Int
        public var sha256: String?
    }

    public var inputs: [Input] = []
    public var records = 0
    public var kept = 0
    public var dropped: [DropReason: Int] = [:]
    public var outputBytes = 0
    /// Bytes of the output file as stored (after compression for `.gz`).
    public var storedBytes = 0
    public var outputSHA256: String?
    public var seconds = 0.0
    /// The members whose records were kept, in id byte order (with `collectMembers`).
    public var keptMembers: [MemberID] = []
    /// The categories of the kept records, in byte order: `--category`'s, or those
    /// `--category-field` named.
    public var keptCategories: [Category] = []
    /// Records dropped as `third_party_objection`, by objection id.
    public var thirdParty: [String: Int] = [:]

    public var inputBytes: Int { inputs.reduce(0) { $0 + $1.bytes } }
}

/// The training-data gate's filter: streams JSON Lines records and keeps, byte for byte and in
/// input order, only those an eligible member created when their data may be used.
public enum GateFilter {
    /// Filters `inputs` (paths; `-` is standard input; `.gz` is decompressed) into `output`
    /// (replaced atomically; `-` is standard output).
    public static func run(inputs: [String], output: String, decisions: GateDecisions,
                           options: FilterOptions) throws -> FilterResult {
        guard !inputs.isEmpty else { throw GateError.usage("name at least one input file, or - for standard input") }
        guard !options.memberField.isEmpty else { throw GateError.usage("--member-field must not be empty") }
        try checkRecordRules(decisions, options)
        let started = ContinuousClock.now
        let sink = try OutputFile(path: output, hashing: options.hashing)
        var result = FilterResult()
        var counts = [Int](repeating: 0, count: DropReason.allCases.count)
        let threads = max(1, options.threads)
        let matcher = decisions.thirdParty.isEmpty ? nil : ThirdPartyMatcher(decisions.thirdParty.map(\.identifiers))
        let processors = (0..<threads).map { _ in LineJudge(decisions: decisions, options: options, matcher: matcher) }
        let totalBytes = Self.totalBytes(of: inputs)
        var lastProgress = started
        var progressBytes = 0, progressRecords = 0
        do {
            for path in inputs {
                var input = FilterResult.Input(path: path, bytes: 0, records: 0)
                var inputHasher: SHA256? = options.hashing && options.hashInputs ? SHA256() : nil
                var line = 0
                let (source, finish) = try openInput(path, blockSize: options.blockSize)
                var malformed: GateError?
                try OrderedPipeline.run(source: source, workers: threads, ahead: threads * 3,
                                        process: { worker, block in processors[worker].judge(block) },
                                        consume: { block, judged in
                    if options.strict, let (index, detail) = judged.firstMalformed {
                        malformed = .malformedLine(file: path == "-" ? "<stdin>" : path, line: line + index + 1, detail: detail)
                        return false
                    }
                    if inputHasher != nil {
                        inputHasher!.update(bufferPointer: UnsafeRawBufferPointer(start: block.base, count: block.count))
                    }
                    try sink.write(block.base, runs: judged.runs)
                    if judged.unterminatedKept { try sink.write([0x0A]) }
                    (block.owner as? FileMapping)?.release(through: block.base + block.count)
                    line += judged.lines
                    if let progress = options.progress {
                        progressBytes += block.count
                        progressRecords += judged.lines
                        let now = ContinuousClock.now
                        if now - lastProgress >= .milliseconds(500) {
                            lastProgress = now
                            progress(FilterProgress(bytes: progressBytes, records: progressRecords, totalBytes: totalBytes,
                                                    seconds: Self.seconds(now - started)))
                        }
                    }
                    input.bytes += block.count
                    input.records += judged.lines
                    result.kept += judged.kept
                    for (reason, count) in judged.counts.enumerated() { counts[reason] += count }
                    return true
                })
                try finish()
                if let malformed { throw malformed }
                input.sha256 = inputHasher.map { Digest.hex($0.finalize()) }
                result.records += input.records
                result.inputs.append(input)
            }
            var seen = [Bool](repeating: false, count: Category.allCases.count)
            for processor in processors {
                for (position, count) in processor.keptCategories.enumerated() where count > 0 { seen[position] = true }
            }
            if let category = options.category, result.kept > 0 { seen[category.position] = true }
            for (index, objection) in decisions.thirdParty.enumerated() {
                let count = processors.reduce(0) { $0 + $1.thirdPartyCounts[index] }
                if count > 0 { result.thirdParty[objection.id] = count }
            }
            result.keptCategories = Category.allCases.filter { seen[$0.position] }.sorted()
            if options.collectMembers {
                let all = MemberTable(expectedCount: processors.reduce(0) { $0 + ($1.kept?.count ?? 0) })
                for processor in processors { processor.kept?.forEachID { all.insert(UnsafeRawBufferPointer($0), GateVerdict(drop: nil)) } }
                var ids: [MemberID] = []
                ids.reserveCapacity(all.count)
                all.forEachID { bytes in
                    if let id = MemberID(String(decoding: bytes, as: UTF8.self)) { ids.append(id) }
                }
                result.keptMembers = ids.sorted()
            }
            try sink.commit()
            result.outputSHA256 = sink.sha256
            result.storedBytes = sink.storedBytes
        } catch {
            sink.abandon()
            throw error
        }
        result.outputBytes = sink.bytes
        for reason in DropReason.allCases where counts[reason.rawValue] > 0 { result.dropped[reason] = counts[reason.rawValue] }
        result.seconds = seconds(ContinuousClock.now - started)
        return result
    }

    /// Refuses a run that cannot apply the policy's record rules: see ``checkCategories(_:_:)``
    /// and ``checkTimes(_:_:)``.
    public static func checkRecordRules(_ decisions: GateDecisions, _ options: FilterOptions) throws {
        guard options.checksRecordRules else { return }
        try checkCategories(decisions, options)
        try checkTimes(decisions, options)
        try checkText(decisions, options)
    }

    /// Refuses a run that could keep records naming someone who objected without being a
    /// member: with such objections pending or upheld, the field their names and links may
    /// appear in must be named (`--text-field`), or `--no-text` must say there is none.
    static func checkText(_ decisions: GateDecisions, _ options: FilterOptions) throws {
        if options.textField != nil, options.noText { throw GateError.usage("give --text-field or --no-text, not both") }
        guard !decisions.thirdParty.isEmpty, options.textField == nil, !options.noText else { return }
        throw GateError.usage("""
            \(decisions.thirdParty.count) \(decisions.thirdParty.count == 1 ? "person who is not a member objects" : "people who are not members object"), \
            and records that name them may not be used: name the field whose text may name them with --text-field F, or say the \
            records hold no such text with --no-text (the member field is checked either way)
            """)
    }

    /// Refuses a run whose records' category is unknown, or that could keep nothing: a category
    /// must be named (`--category`, or `--category-field` per record), the source must know which
    /// categories the policy allows, and a `--category` it does not allow is refused up front.
    static func checkCategories(_ decisions: GateDecisions, _ options: FilterOptions) throws {
        if options.category != nil, options.categoryField != nil {
            throw GateError.usage("give --category or --category-field, not both")
        }
        guard options.category != nil || options.categoryField != nil else {
            throw GateError.usage("""
                say what the records are: --category C (one of the taxonomy, e.g. content.posts) when every record is of one \
                category, or --category-field F when each record names its own; records of a category the policy does not allow \
                are never kept, so the gate does not run without knowing
                """)
        }
        guard let allowed = decisions.allowedCategories else {
            throw GateError.usage("""
                \(decisions.source) says nothing of the categories the policy allows: give the policy it was made under with \
                --policy FILE (`consentry policy show > policy.yaml`), or decide with --snapshot or --db
                """)
        }
        if let category = options.category, !allowed.contains(category) {
            let why = category.isNeverAllowed ? "is never used for training, under any policy"
                                              : "is not allowed by policy \(decisions.policyVersion ?? "in force")"
            throw GateError.usage("--category \(category.rawValue) \(why): no record would be kept, so nothing is written")
        }
    }

    /// Refuses a run that would keep records made while their member was under the minimum age,
    /// or before the look-back start, without seeing it: under a policy with either, the records'
    /// time must be read (`--time-field`), or `--no-record-times` must say there is none (then
    /// every member who was a minor in the window is left out whole). An exclusions list holds no
    /// birth dates, so under a minimum age it must itself list every member who was a minor in
    /// the window (`consentry exclusions --minors-in-window`), since at least the policy's window.
    static func checkTimes(_ decisions: GateDecisions, _ options: FilterOptions) throws {
        if options.timeField != nil, options.noRecordTimes { throw GateError.usage("give --time-field or --no-record-times, not both") }
        var rules: [String] = []
        if let age = decisions.minimumAge { rules.append("a minimum age of \(age)") }
        if let start = decisions.lookbackStart { rules.append("a look-back start of \(Timestamp.format(start))") }
        guard !rules.isEmpty else { return }
        if options.timeField == nil, !options.noRecordTimes {
            throw GateError.usage("""
                the policy sets \(rules.joined(separator: " and ")): name the field with each record's creation time with \
                --time-field F, or say the records have none with --no-record-times (then every record of a member who was \
                under the minimum age at any time in the window is left out)
                """)
        }
        guard decisions.unknownIsEligible, let age = decisions.minimumAge else { return }
        guard let listed = decisions.minorsListed else {
            throw GateError.usage("""
                \(decisions.source) holds no birth dates, so it cannot find records made by members under \(age): make it with \
                `consentry exclusions --minors-in-window`, which also lists every member who was under \(age) in the window, \
                or decide with --snapshot or --db
                """)
        }
        if let since = listed.since, decisions.lookbackStart.map({ since > $0 }) ?? true {
            throw GateError.usage("""
                \(decisions.source) lists the members who were minors only since \(Timestamp.format(since)), and the policy's \
                window starts \(decisions.lookbackStart.map(Timestamp.format) ?? "at no date"): make the list again under this policy
                """)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The inputs' total size when every one is a plain file (not stdin, not .gz).
    static func totalBytes(of inputs: [String]) -> Int? {
        var total = 0
        for path in inputs {
            guard path != "-", !path.hasSuffix(".gz"),
                  let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return nil }
            total += size
        }
        return total
    }

    /// The block source of one input and what to check once it is read.
    static func openInput(_ path: String, blockSize: Int) throws -> (any BlockSource, () throws -> Void) {
        if path == "-" { return (StreamSource(fd: STDIN_FILENO, name: "<stdin>", blockSize: blockSize), {}) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw GateError.input(path, "no such file")
        }
        guard !isDirectory.boolValue else { throw GateError.input(path, "is a directory") }
        guard path.hasSuffix(".gz") else { return (MappedSource(try FileMapping(path: path), blockSize: blockSize), {}) }
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: Gzip.path)
        gzip.arguments = ["-dc", "--", path]
        let pipe = Pipe()
        let errors = Pipe()
        gzip.standardOutput = pipe
        gzip.standardError = errors
        do {
            try gzip.run()
        } catch {
            throw GateError.input(path, "cannot start gzip to decompress it: \(error)")
        }
        let source = StreamSource(fd: pipe.fileHandleForReading.fileDescriptor, name: path, blockSize: blockSize)
        return (source, {
            gzip.waitUntilExit()
            guard gzip.terminationStatus == 0 else {
                let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                throw GateError.input(path, "not a complete gzip file (\(message.isEmpty ? "gzip failed" : message))")
            }
        })
    }
}

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
    private(set) var thirdPartyCounts: [Int]
    /// Scratch for the folded text being matched.
    private var folded: [UInt8] = []

    init(decisions: GateDecisions, options: FilterOptions, matcher: ThirdPartyMatcher? = nil) {
        self.matcher = matcher
        thirdPartyCounts = [Int](repeating: 0, count: decisions.thirdParty.count)
        kept = options.collectMembers ? MemberTable() : nil
        scanner = RecordScanner(memberField: Array(options.memberField.utf8), timeField: options.timeField.map { Array($0.utf8) },
                                categoryField: options.categoryField.map { Array($0.utf8) },
                                reservationField: options.reservationField.map { Array($0.utf8) },
                                textField: matcher == nil ? nil : options.textField.map { Array($0.utf8) })
        let allowed = decisions.allowedCategories ?? []
        categoryAllowed = options.categoryField == nil ? nil : Category.allCases.map { allowed.contains($0) && !$0.isNeverAllowed }
        checksReservation = options.reservationField != nil
        noRecordTimes = options.noRecordTimes
        keptCategories = [Int](repeating: 0, count: Category.allCases.count)
        table = decisions.table
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
        while start < count {
            let (drop, length) = judgeNext(base + start, count - start)
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

    /// Judges the line starting at `line` (with `available` bytes to the block's end): nil to
    /// keep it, otherwise why it is dropped; and the line's length without its line feed.
    @inline(__always)
    func judgeNext(_ line: UnsafePointer<UInt8>, _ available: Int) -> (DropReason?, Int) {
        let (found, length) = scanner.scanLine(line, available)
        guard let found else { return (.malformed, length) }
        var category: Category?
        let drop = judge(found, line, category: &category)
        if drop == nil {
            if let kept { remember(found, line, in: kept) }
            if let category { keptCategories[category.position] += 1 }
        }
        return (drop, length)
    }

    /// Adds the member of this kept line, as its scan found it, to `table`.
    private func remember(_ found: RecordScanner.Found, _ line: UnsafePointer<UInt8>, in table: MemberTable) {
        if found.memberKind == .escapedString {
            if let id = decode(line, found.memberStart..<found.memberEnd) { table.insert(id, GateVerdict(drop: nil)) }
        } else {
            table.insert(UnsafeRawBufferPointer(start: line + found.memberStart, count: found.memberEnd - found.memberStart),
                         GateVerdict(drop: nil))
        }
    }

    @inline(__always)
    private func judge(_ found: RecordScanner.Found, _ line: UnsafePointer<UInt8>, category: inout Category?) -> DropReason? {
        guard found.memberCount == 1 else { return .missingMember }
        let verdict: GateVerdict?
        switch found.memberKind {
        case .string, .integer:
            guard found.memberEnd > found.memberStart else { return .missingMember }
            verdict = table.verdict(line + found.memberStart, found.memberEnd - found.memberStart)
        case .escapedString:
            // Rare: decode the escapes. Text no member id can be (a lone surrogate) is simply not held.
            if var id = decode(line, found.memberStart..<found.memberEnd) {
                guard !id.isEmpty else { return .missingMember }
                verdict = id.withUTF8 { table.verdict($0.baseAddress!, $0.count) }
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
        if checksReservation, Reservation.reserves(reservation(line, found)) { return .rightsReserved }
        if let matcher, let owner = thirdPartyOwner(line, found, matcher) {
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
        let start = line + found.categoryStart
        let length = found.categoryEnd - found.categoryStart
        switch found.categoryKind {
        case .none: return nil
        case .string: return .some(Category(utf8: UnsafeBufferPointer(start: start, count: length)))
        case .escapedString: return .some(decode(line, found.categoryStart..<found.categoryEnd).flatMap(Category.init(rawValue:)))
        case .other where Self.isNull(start, length): return nil
        default: return .some(nil)
        }
    }

    /// The non-member's objection (its index) whose identifier the record's text or member field
    /// holds, if any.
    private func thirdPartyOwner(_ line: UnsafePointer<UInt8>, _ found: RecordScanner.Found, _ matcher: ThirdPartyMatcher) -> Int? {
        for (kind, start, end) in [(found.memberKind, found.memberStart, found.memberEnd), (found.textKind, found.textStart, found.textEnd)] {
            switch kind {
            case .string, .integer:
                ThirdPartyMatcher.fold(UnsafeBufferPointer(start: line + start, count: end - start), into: &folded)
            case .escapedString:
                guard let text = decode(line, start..<end) else { continue }
                Array(text.utf8).withUnsafeBufferPointer { ThirdPartyMatcher.fold($0, into: &folded) }
            default:
                continue
            }
            if let owner = folded.withUnsafeBufferPointer({ matcher.firstMatch($0) }) { return owner }
        }
        return nil
    }

    /// The record's reservation field, as ``Reservation`` reads it.
    private func reservation(_ line: UnsafePointer<UInt8>, _ found: RecordScanner.Found) -> Reservation.Value {
        let start = line + found.reservationStart
        let length = found.reservationEnd - found.reservationStart
        switch found.reservationKind {
        case .none: return .absent
        case .string: return .string(String(decoding: UnsafeBufferPointer(start: start, count: length), as: UTF8.self))
        case .escapedString: return decode(line, found.reservationStart..<found.reservationEnd).map(Reservation.Value.string) ?? .other
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
        let start = line + found.timeStart
        let length = found.timeEnd - found.timeStart
        switch found.timeKind {
        case .string:
            return Timestamp.microseconds(utf8: UnsafeBufferPointer(start: start, count: length))
        case .escapedString:
            return decode(line, found.timeStart..<found.timeEnd).flatMap { Timestamp.parse($0).map(Timestamp.microseconds) }
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
