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
    /// Match non-members' identifiers against each whole record (every key and value) instead
    /// of the text and member fields: for a purge of a dataset that names no text field.
    public var matchesWholeRecords = false
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
        // Without record times a member's usable-from date only says whether they were a minor in
        // the window: answered once per member, so the table the threads read stays small.
        let table = options.noRecordTimes && options.timeField == nil
            ? decisions.table.answeringMinorsInWindow(windowStartMicros: decisions.lookbackStart.map(Timestamp.microseconds))
            : decisions.table
        let processors = (0..<threads).map { _ in LineJudge(decisions: decisions, options: options, matcher: matcher, table: table) }
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
