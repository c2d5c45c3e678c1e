import ConsentCore
import ConsentFormats
import Crypto
import Foundation

/// The exclusion snapshot: whether each member may be used in training data as of one
/// instant, in a file a batch worker or a Spark executor can use without access to the store
/// (`consentry datasets filter --snapshot`), and that any engine can read as tab-separated text.
///
/// Format, version 2 (UTF-8; member ids never hold tabs or newlines):
///
///     # consentry-snapshot 2
///     # as_of	2026-01-01T00:00:00Z
///     # decided_at	2026-03-02T10:00:00Z
///     # rule	eligible at as_of and at decided_at
///     # policy_version	2025-11                     (in force at as_of)
///     # policy_sha256	<hex>
///     # policy_version_now	2026-02                  (in force at decided_at)
///     # minimum_age	18
///     # lookback_start	2020-01-01T00:00:00Z      (or -)
///     # categories	content.comments,content.posts,...   (allowed at as_of and at decided_at)
///     # third_party	obj_…	["https://example.com/p/1","Sam Doe"]   (one line per objection)
///     # members	<count>
///     member	eligible	reason	usable_from
///     urn:li:member:1	true	included_by_default	2008-05-17
///     urn:li:member:2	false	minor	2031-02-01
///     ...
///     # sha256	<hex of every byte before this line>
///
/// Using data is a use now: `eligible` is true only when the member is eligible at `as_of` and
/// at `decided_at`; `reason` is the one at `as_of` when it excludes, else the one at
/// `decided_at`. `usable_from` is the member's minimum-age birthday (records created before it
/// are `created_while_minor`), empty when the birth date is unknown.
///
/// A snapshot can be split into shards (`datasets snapshot --shards N`), for engines that join
/// records to members shard by shard so that no worker loads every member: shard `i` of `N`
/// holds the members whose id's SHA-256, read as a number from its first 15 hex digits (60 bits),
/// is `i` modulo `N` (``shard(of:count:)``), and says so in a `# shard	i/N` header line; each
/// shard is a whole file with its own count, trailer and signature. Engines compute the same
/// number (Spark: `pmod(conv(substr(sha2(member, 256), 1, 15), 16, 10), N)`). `datasets filter`
/// takes whole snapshots only. `categories` are those both
/// policies allow (never a never-allowed one), in byte order; each `third_party` line is an
/// objection, pending or upheld, from someone who is not a member, with what identifies them
/// (``ThirdPartyObjection``: personal data, there so that the gate can drop records naming them); a snapshot made before the line
/// existed cannot check categories, and the filter refuses it. Rows are sorted by member id. Version 1 files (decided at as_of only) are refused: they could bring back a member who
/// objected since.
public enum SnapshotFile {
    static let magic = "# consentry-snapshot 2"

    /// The shard of `count` that holds the member `id`: the first 60 bits of SHA-256(id), modulo `count`.
    public static func shard(of id: String, count: Int) -> Int {
        guard count > 1 else { return 0 }
        var value: UInt64 = 0
        for (index, byte) in SHA256.hash(data: Array(id.utf8)).prefix(8).enumerated() {
            value = index < 7 ? value << 8 | UInt64(byte) : value << 4 | UInt64(byte >> 4)
        }
        return Int(value % UInt64(count))
    }

    /// The path of shard `index` of `count`: `snap.tsv` → `snap.0-of-4.tsv`.
    public static func shardPath(_ path: String, index: Int, count: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        let tag = "\(index)-of-\(count)"
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return path + "." + tag }
        let renamed = name[..<dot] + "." + tag + name[dot...]
        return url.deletingLastPathComponent().appendingPathComponent(String(renamed)).path
    }
    static let rule = "eligible at as_of and at decided_at"

    public struct Header: Sendable, Equatable {
        public var asOf: Date
        public var decidedAt: Date
        public var policyVersion: String
        public var policySHA256: String
        public var minimumAge: Int
        public var lookbackStart: Date?
        /// The categories records may be of; nil in a snapshot made before they were written.
        public var categories: Set<Category>?
        public var members: Int
    }

    /// Writes whether each member of `view` may be used as of `asOf`, at the view's moment, to
    /// `path`, atomically; with `shards` above 1, to that many files (``shardPath(_:index:count:)``),
    /// each member in the one ``shard(of:count:)`` names.
    /// - Returns: the header of the whole snapshot and each file's path and SHA-256 trailer.
    @discardableResult
    public static func write(_ view: DecisionView, asOf: Date, to path: String, shards: Int = 1, thirdParty: [ThirdPartyObjection] = [],
                             signedBy signer: LogSigner? = nil, log: Checkpoint? = nil) throws -> (Header, [(path: String, sha256: String)]) {
        precondition(shards >= 1)
        let version = try view.policy(at: asOf)
        let policy = version.policy
        let now = try view.policy(at: view.moment).policy
        let snapshot = view.snapshot
        let terms = try view.recordTerms(asOf: asOf)
        let header = Header(asOf: asOf, decidedAt: view.moment, policyVersion: policy.version, policySHA256: version.sha256,
                            minimumAge: terms.minimumAge, lookbackStart: terms.windowStart, categories: terms.categories,
                            members: snapshot.count)
        // The rows of each shard, in id order, in one pass over the members.
        var rows = [[UInt8]](repeating: [], count: shards)
        var counts = [Int](repeating: 0, count: shards)
        if shards == 1 { rows[0].reserveCapacity(snapshot.count * 48) }
        try view.forEachUse(asOf: asOf) { index, use in
            let id = snapshot.members[index].id.rawValue
            let shard = shard(of: id, count: shards)
            rows[shard].append(contentsOf: id.utf8)
            rows[shard].append(contentsOf: (use.usable ? "\ttrue\t" : "\tfalse\t").utf8)
            rows[shard].append(contentsOf: use.reason.rawValue.utf8)
            rows[shard].append(0x09)
            if let usableFrom = use.usableFrom { rows[shard].append(contentsOf: usableFrom.description.utf8) }
            rows[shard].append(0x0A)
            counts[shard] += 1
        }
        var written: [(path: String, sha256: String)] = []
        for shard in 0..<shards {
            var text = [UInt8]()
            text.reserveCapacity(rows[shard].count + 1024)
            func append(_ string: String) { text.append(contentsOf: string.utf8) }
            append(magic + "\n")
            append("# as_of\t\(Timestamp.format(asOf))\n")
            append("# decided_at\t\(Timestamp.format(view.moment))\n")
            append("# rule\t\(rule)\n")
            append("# policy_version\t\(policy.version)\n")
            append("# policy_sha256\t\(version.sha256)\n")
            append("# policy_version_now\t\(now.version)\n")
            if let log {
                append("# log_origin\t\(log.origin)\n# log_size\t\(log.size)\n# log_root\t\(log.root.base64)\n")
            }
            append("# minimum_age\t\(header.minimumAge)\n")
            append("# lookback_start\t\(header.lookbackStart.map(Timestamp.format) ?? "-")\n")
            append("# categories\t\(GateSources.list(header.categories ?? []))\n")
            for objection in thirdParty { append(objection.headerLine + "\n") }
            if shards > 1 { append("# shard\t\(shard)/\(shards)\n") }
            append("# members\t\(counts[shard])\n")
            append("member\teligible\treason\tusable_from\n")
            text.append(contentsOf: rows[shard])
            rows[shard] = []
            let digest = Digest.hex(SHA256.hash(data: text))
            append("# sha256\t\(digest)\n")
            if let signer {
                let (name, signature) = try signer.signer.sign(bytes: text)
                append("# signature\t\(name)\t\(signature)\n")
            }
            let target = shards == 1 ? path : shardPath(path, index: shard, count: shards)
            let output = try OutputFile(path: target, hashing: false)
            try output.write(text)
            try output.commit()
            written.append((target, digest))
        }
        return (header, written)
    }

    /// One member row of a snapshot, as read: where its id lies in the file, and its verdict.
    struct Row {
        var idStart: Int32
        var idLength: Int32
        var verdict: GateVerdict
    }

    /// The two halves of a snapshot's rows, read by two threads while a third task hashes the
    /// file; each writes only its own result.
    private final class RowHalves: @unchecked Sendable {
        let base: UnsafePointer<UInt8>
        let ranges: [Range<Int>]
        /// The bytes the trailer's SHA-256 covers.
        let hashed: Int
        /// One result per range, written by the thread that reads it (no exclusive access to
        /// a shared array: each writes its own element).
        private let results: UnsafeMutableBufferPointer<Result<[Row], RowError>>
        /// The SHA-256 of the first `hashed` bytes, in hex, once task `ranges.count` has run.
        private(set) var digest = ""

        init(base: UnsafePointer<UInt8>, ranges: [Range<Int>], hashed: Int) {
            self.base = base
            self.ranges = ranges
            self.hashed = hashed
            results = .allocate(capacity: ranges.count)
            results.initialize(repeating: .success([]))
        }

        deinit {
            results.deinitialize()
            results.deallocate()
        }

        /// Task `index`: a range's rows, or (the last) the file's hash.
        func run(_ index: Int) {
            guard index < ranges.count else {
                digest = SnapshotFile.digest(base, hashed)
                return
            }
            results[index] = Result { () throws(RowError) -> [Row] in try SnapshotFile.parseRows(base, ranges[index]) }
        }

        var parsed: [Result<[Row], RowError>] { Array(results) }
    }

    /// Why the row at index `row` of a range (from 0) is not one.
    struct RowError: Error {
        var row: Int
        var why: String
    }

    /// The member rows in `range` of the file (whole lines): `id \t eligible \t reason \t usable_from`.
    /// No String or array per row: 1M rows load in a fraction of a second.
    static func parseRows(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) throws(RowError) -> [Row] {
        var list: [Row] = []
        list.reserveCapacity((range.count / 24) + 16)
        let reasonCodes = Reason.allCases.map { (reason: $0, bytes: Array($0.rawValue.utf8)) }
        var offset = range.lowerBound
        while offset < range.upperBound {
            let line = base + offset
            var length = 0
            while offset + length < range.upperBound, line[length] != 0x0A { length += 1 }
            offset += length + 1
            var tabs = (0, 0, 0)
            var found = 0
            for index in 0..<length where line[index] == 0x09 {
                switch found {
                case 0: tabs.0 = index
                case 1: tabs.1 = index
                case 2: tabs.2 = index
                default: break
                }
                found += 1
            }
            guard found == 3, tabs.0 > 0 else { throw RowError(row: list.count, why: " does not have 4 tab-separated fields") }
            let reasonStart = line + tabs.1 + 1
            let reasonLength = tabs.2 - tabs.1 - 1
            guard let reason = reasonCodes.first(where: { code in
                code.bytes.count == reasonLength && code.bytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, reasonStart, reasonLength) == 0 }
            })?.reason else {
                throw RowError(row: list.count, why: ": unknown reason \(String(decoding: UnsafeBufferPointer(start: reasonStart, count: reasonLength), as: UTF8.self))")
            }
            let eligible: StaticString = reason.isEligible ? "true" : "false"
            guard tabs.1 - tabs.0 - 1 == eligible.utf8CodeUnitCount, memcmp(line + tabs.0 + 1, eligible.utf8Start, eligible.utf8CodeUnitCount) == 0 else {
                throw RowError(row: list.count, why: ": eligible contradicts reason \(reason.rawValue)")
            }
            var usable = Int64.min
            if tabs.2 + 1 < length {
                guard let date = CivilDate(utf8: UnsafeBufferPointer(start: line + tabs.2 + 1, count: length - tabs.2 - 1)) else {
                    throw RowError(row: list.count, why: ": usable_from is not a date")
                }
                usable = date.startOfDayMicroseconds
            }
            list.append(Row(idStart: Int32(line - base), idLength: Int32(tabs.0),
                            verdict: GateVerdict(drop: reason.isEligible ? nil : DropReason(excludedBecause: reason), usableFromMicros: usable)))
        }
        return list
    }

    /// Reads a snapshot, refusing one that is corrupt, truncated or of another version.
    public static func read(path: String, verifier: NoteVerifier? = nil) throws -> (Header, GateDecisions) {
        let mapping = try FileMapping(path: path)
        let base = mapping.bytes
        var count = mapping.count
        func bad(_ why: String) -> GateError { .badSource(path, "not a usable snapshot: " + why) }
        guard count > magic.utf8.count, memcmp(base, magic, magic.utf8.count) == 0 else {
            let old = "# consentry-snapshot 1"
            if count > old.utf8.count, memcmp(base, old, old.utf8.count) == 0 {
                throw bad("it is a version 1 snapshot, decided at its as_of instant only; it could bring back a member who opted out or objected since. Make a new one with `consentry datasets snapshot`")
            }
            throw bad("it does not start with \"\(magic)\"")
        }
        // A signature, when there is one, is the very last line and covers every byte before it.
        let signaturePrefix = Array("# signature\t".utf8)
        var lastStart = count - 1
        while lastStart > 0, base[lastStart - 1] != 0x0A { lastStart -= 1 }
        let signed = count - lastStart > signaturePrefix.count && memcmp(base + lastStart, signaturePrefix, signaturePrefix.count) == 0
        if let verifier {
            guard signed, base[count - 1] == 0x0A else {
                throw bad("it is not signed (or its signature line is cut off); --log-key accepts only a snapshot signed by the log's key")
            }
            let line = String(decoding: UnsafeBufferPointer(start: base + lastStart + signaturePrefix.count, count: count - 1 - lastStart - signaturePrefix.count),
                              as: UTF8.self).split(separator: "\t")
            guard line.count == 2 else { throw bad("its signature line is malformed") }
            do {
                try verifier.verify(name: String(line[0]), signature: String(line[1]), of: UnsafeBufferPointer(start: base, count: lastStart))
            } catch let error as NoteError {
                throw bad("\(error)")
            }
        }
        if signed { count = lastStart }
        // The trailer: the last line, "# sha256\t<64 hex>\n".
        let trailerLength = "# sha256\t".utf8.count + 64 + 1
        guard count > trailerLength, base[count - 1] == 0x0A,
              String(decoding: UnsafeBufferPointer(start: base + count - trailerLength, count: 9), as: UTF8.self) == "# sha256\t"
        else { throw bad("the SHA-256 trailer is missing (truncated?)") }
        let stated = String(decoding: UnsafeBufferPointer(start: base + count - 65, count: 64), as: UTF8.self)
        let altered = bad("its SHA-256 does not match the trailer (the file was altered or damaged)")
        // The hash is checked before anything read from the file is used or reported; it is
        // computed while the rows are read (below), or here when the header is not readable.
        func hashMatches() -> Bool { stated == digest(base, count - trailerLength) }
        let header: Header, thirdParty: [ThirdPartyObjection], rowsStart: Int, headerLines: Int
        do {
            (header, thirdParty, rowsStart, headerLines) = try readHeader(base, count - trailerLength, bad)
        } catch {
            if !hashMatches() { throw altered }
            throw error
        }
        // The rows, in two halves read at once while the file is hashed: the load is time no
        // record can be judged in.
        let rowsEnd = count - trailerLength
        var middle = rowsStart + (rowsEnd - rowsStart) / 2
        while middle < rowsEnd, middle > rowsStart, base[middle - 1] != 0x0A { middle += 1 }
        let halves = RowHalves(base: base, ranges: [rowsStart..<middle, middle..<rowsEnd], hashed: count - trailerLength)
        DispatchQueue.concurrentPerform(iterations: 3) { task in halves.run(task) }
        guard halves.digest == stated else { throw altered }
        let parsed = halves.parsed
        var loader = MemberTable.Loader(expectedCount: header.members)
        var rows = 0
        for half in 0..<2 {
            switch parsed[half] {
            case .success(let list):
                for row in list {
                    loader.add(UnsafeRawBufferPointer(start: base + Int(row.idStart), count: Int(row.idLength)), row.verdict)
                }
                rows += list.count
            case .failure(let error):
                // Lines are counted from the file's first: the header's, then the first half's.
                let before = half == 0 ? 0 : (try? parsed[0].get().count) ?? 0
                throw bad("line \(headerLines + before + error.row + 1)\(error.why)")
            }
        }
        guard rows == header.members else { throw bad("it holds \(rows) members, its header says \(header.members)") }
        return (header, GateDecisions(table: loader.finish(), unknownIsEligible: false, asOf: header.asOf, lookbackStart: header.lookbackStart,
                                      minimumAge: header.minimumAge, allowedCategories: header.categories, thirdParty: thirdParty,
                                      policyVersion: header.policyVersion, policySHA256: header.policySHA256, decidedAt: header.decidedAt,
                                      source: "snapshot " + path))
    }

    /// The SHA-256 of a snapshot's first `count` bytes, in hex, as its trailer states it.
    private static func digest(_ base: UnsafePointer<UInt8>, _ count: Int) -> String {
        Digest.hex(SHA256.hash(data: UnsafeRawBufferPointer(start: base, count: count)))
    }

    /// The header lines of a snapshot whose rows and trailer end at `end`: the header, the
    /// non-members' objections, where the rows begin, and how many lines come before them.
    private static func readHeader(_ base: UnsafePointer<UInt8>, _ end: Int, _ bad: (String) -> GateError) throws
        -> (Header, [ThirdPartyObjection], rowsStart: Int, lines: Int) {
        var fields: [String: String] = [:]
        var thirdParty: [ThirdPartyObjection] = []
        var offset = 0
        var lineNumber = 0
        func nextLine() -> (UnsafePointer<UInt8>, Int)? {
            guard offset < end else { return nil }
            let start = offset
            while offset < end, base[offset] != 0x0A { offset += 1 }
            defer { offset += 1 }
            lineNumber += 1
            return (base + start, offset - start)
        }
        while let (line, length) = nextLine() {
            let text = String(decoding: UnsafeBufferPointer(start: line, count: length), as: UTF8.self)
            if text == "member\teligible\treason\tusable_from" { break }
            guard text.hasPrefix("# ") else { throw bad("line \(lineNumber) is neither a header nor the column names") }
            if text.hasPrefix(ThirdPartyObjection.prefix) {
                guard let objection = ThirdPartyObjection.parse(headerLine: Substring(text)) else {
                    throw bad("line \(lineNumber) is not an objection id and a JSON array of identifiers")
                }
                thirdParty.append(objection)
                continue
            }
            let parts = text.dropFirst(2).split(separator: "\t", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let asOf = fields["as_of"].flatMap({ Timestamp.parse($0) }),
              let decidedAt = fields["decided_at"].flatMap({ Timestamp.parse($0) }),
              let version = fields["policy_version"], let sha = fields["policy_sha256"],
              let minimumAge = fields["minimum_age"].flatMap({ Int($0) }),
              let lookbackText = fields["lookback_start"], let members = fields["members"].flatMap({ Int($0) })
        else { throw bad("the header lacks as_of, decided_at, policy_version, policy_sha256, minimum_age, lookback_start or members") }
        guard fields["rule"] == rule else { throw bad("its rule is not \"\(rule)\"") }
        if let shard = fields["shard"] {
            throw bad("it is shard \(shard) of a snapshot, holding only that shard's members (records of the others would all be member_unknown); give the filter the whole snapshot (`datasets snapshot` without --shards)")
        }
        let lookback = lookbackText == "-" ? nil : Timestamp.parse(lookbackText)
        var categories: Set<Category>?
        if let listed = fields["categories"] {
            categories = []
            for name in listed.split(separator: ",") {
                guard let category = Category(rawValue: String(name)), !category.isNeverAllowed else {
                    throw bad("its categories name \(name), which is not a category records may be of")
                }
                categories?.insert(category)
            }
        }
        let header = Header(asOf: asOf, decidedAt: decidedAt, policyVersion: version, policySHA256: sha, minimumAge: minimumAge,
                            lookbackStart: lookback, categories: categories, members: members)
        return (header, thirdParty, offset, lineNumber)
    }
}
