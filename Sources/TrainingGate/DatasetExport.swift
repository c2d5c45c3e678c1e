import ConsentCore
import ConsentFormats
import Foundation

/// `consentry datasets export`: the eligible members' data, only in the categories the active policy
/// allows, as JSON Lines shards and a manifest, registered with its member list (lineage). A
/// member's line that names someone who objected without being a member is left out (counted as
/// `third_party_objection`; the manifest lists the objections in `third_party_checked`).
public enum DatasetExport {
    public struct Options: Sendable {
        public var asOf: Date
        public var directory: String
        public var name: String?
        /// Members per shard.
        public var shardRecords: Int
        public var gzip: Bool
        public var actor: String
        /// Runs once the shards are written, before the dataset is registered: where the world
        /// may change under a long export (tests change the store there).
        public var beforeRegistering: @Sendable () async throws -> Void = {}

        public init(asOf: Date, directory: String, name: String? = nil, shardRecords: Int = 100_000, gzip: Bool = false,
                    actor: String) {
            self.asOf = asOf
            self.directory = directory
            self.name = name
            self.shardRecords = shardRecords
            self.gzip = gzip
            self.actor = actor
        }
    }

    /// What an export wrote.
    public struct Result: Sendable {
        public var manifest: DatasetManifest
        public var seconds: Double
        public var membersRead: Int
    }

    public static func run(store: some LineageStore, options: Options) async throws -> Result {
        let started = ContinuousClock.now
        guard options.shardRecords >= 1 else { throw GateError.usage("--shard-records must be at least 1") }
        try GateTime.requirePast(options.asOf)
        let directory = URL(fileURLWithPath: options.directory).standardizedFileURL.path
        try prepareEmptyDirectory(directory)
        // Who may be used: eligible at as-of and now (using data is a use now), counted by reason.
        let view = try await store.decisionView(now: Date())
        let version = try view.policy(at: options.asOf)
        let policy = version.policy
        let snapshot = view.snapshot
        var loader = MemberTable.Loader(expectedCount: snapshot.count)
        var counts: [String: Int] = [:]
        try view.forEachUse(asOf: options.asOf) { index, use in
            counts[use.reason.rawValue, default: 0] += 1
            if use.usable {
                counts["eligible", default: 0] += 1
                loader.add(snapshot.members[index].id.rawValue, GateVerdict(drop: nil))
            }
        }
        let eligible = loader.finish()
        // Categories allowed at as-of and now.
        let allowedNow = try view.policy(at: view.moment).policy

        // The allowed categories' keys as bytes, to pick them out of each member's stored data.
        let categories = policy.allowedCategories.filter { !$0.isNeverAllowed && allowedNow.allows($0) }
        let allowed = categories.map { Array($0.rawValue.utf8) }
        let id = DatasetID.random(at: Date())
        var writer = ShardWriter(directory: directory, gzip: options.gzip, shardRecords: options.shardRecords)
        // People who objected without being members (pending or upheld): a line naming them
        // anywhere is left out, as the gate leaves out such records.
        let thirdParty = ThirdPartyObjection.applying(try await store.objections(status: nil))
        writer.matcher = thirdParty.isEmpty ? nil : ThirdPartyMatcher(thirdParty.map(\.identifiers))
        var members: [MemberID] = []
        var read = 0
        var withoutData = 0
        var namingObjectors = 0
        do {
            try await store.forEachMemberData { idBytes, data in
                read += 1
                guard let base = idBytes.baseAddress, eligible.verdict(base, idBytes.count) != nil else { return }
                let idText = String(decoding: idBytes, as: UTF8.self)
                guard let member = MemberID(idText) else { return }
                switch try writer.record(member: idText, data: data, allowed: allowed) {
                case .written: members.append(member)
                case .nothingAllowed: withoutData += 1
                case .namesObjector: namingObjectors += 1
                }
            }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
        if withoutData > 0 { counts["eligible_without_allowed_data"] = withoutData }
        if namingObjectors > 0 { counts[DropReason.thirdPartyObjection.code] = namingObjectors }

        var manifest = DatasetManifest(
            dataset: id, name: options.name ?? "export-" + Timestamp.format(options.asOf), kind: .export, version: 1,
            previous: nil, createdAt: Date(), asOf: options.asOf, policyVersion: policy.version, policySHA256: version.sha256,
            memberField: "member", records: members.count, members: members.count, counts: counts,
            categories: categories.map(\.rawValue), files: writer.files, purge: nil)
        manifest.thirdPartyChecked = thirdParty.map(\.id).sorted()
        let text = manifest.json
        // Registered before the manifest appears: a dataset nobody could purge must never exist.
        do {
            try await options.beforeRegistering()
            try await store.registerDataset(
                NewDataset(id: id, name: manifest.name, kind: .export, location: directory, memberField: "member",
                           asOf: options.asOf, policyVersion: policy.version, policySHA256: version.sha256,
                           manifestJSON: text, manifestSHA256: Digest.sha256Hex(text), records: members.count),
                members: members, actor: options.actor)
        } catch {
            // Refused (an objection upheld while the export ran) or not recorded: no data may
            // stay behind that no lineage knows of.
            writer.abandon()
            throw error
        }
        try AtomicFile.write(text, to: directory + "/manifest.json")
        return Result(manifest: manifest, seconds: GateFilter.seconds(ContinuousClock.now - started), membersRead: read)
    }

    /// Creates `path` (mode 0750) or accepts it empty and the operator's own; anything already in
    /// it is refused, never overwritten, and so is a directory someone else made or can change.
    static func prepareEmptyDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw GateError.output(path, "exists and is not a directory") }
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw GateError.output(path, "is a symbolic link; export into a directory, not a link to one")
            }
            guard status.st_uid == geteuid() else {
                throw GateError.output(path, "belongs to another user (uid \(status.st_uid)), who could read or replace the dataset; export into a new directory")
            }
            guard status.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
                throw GateError.output(path, "is writable by other users, who could replace the dataset's files; chmod go-w it or export into a new directory")
            }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            guard contents.isEmpty else {
                throw GateError.output(path, "is not empty (\(contents.count) entries); export into a new or empty directory")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
            } catch {
                throw GateError.output(path, "cannot create the directory: \(error.localizedDescription)")
            }
        }
    }
}

/// Writes `part-00000.jsonl` … shards of `{"member": …, "data": {…}}` lines, each atomically.
struct ShardWriter {
    let directory: String
    let gzip: Bool
    let shardRecords: Int
    private(set) var files: [DatasetManifest.File] = []
    private var current: OutputFile?
    private var currentName = ""
    private var currentRecords = 0
    private var buffer: [UInt8] = []

    init(directory: String, gzip: Bool, shardRecords: Int) {
        self.directory = directory
        self.gzip = gzip
        self.shardRecords = shardRecords
        buffer.reserveCapacity(1 << 20)
    }

    /// What became of a member's line.
    enum Outcome: Equatable {
        case written
        /// None of their data is in an allowed category.
        case nothingAllowed
        /// It names someone who objected without being a member: the objection at this index.
        case namesObjector(Int)
    }

    /// Non-members' objections a line must not name, and the scratch their search folds into.
    var matcher: ThirdPartyMatcher?
    private var folded: [UInt8] = []

    /// Writes the member's line with only the `allowed` keys of `data`, unless none is allowed
    /// or the line names someone who objected without being a member (then nothing is written).
    mutating func record(member: String, data: UnsafeBufferPointer<UInt8>, allowed: [[UInt8]]) throws -> Outcome {
        let mark = buffer.count
        buffer.append(contentsOf: #"{"member":"#.utf8)
        buffer.append(contentsOf: jsonStringLiteral(member).utf8)
        buffer.append(contentsOf: #","data":{"#.utf8)
        var scanner = JSONScanner(data)
        var wrote = 0
        do {
            try scanner.expect(0x7B, "a JSON object")
            if !scanner.closesImmediately(0x7D) {
                repeat {
                    let key = try scanner.readString()
                    try scanner.expect(0x3A, "':' after a key")
                    let value = try scanner.skipValue()
                    guard !key.hasEscapes else { continue }
                    let keyBytes = UnsafeBufferPointer(rebasing: data[key.range])
                    guard allowed.contains(where: { $0.elementsEqual(keyBytes) }) else { continue }
                    if wrote > 0 { buffer.append(0x2C) }
                    buffer.append(0x22)
                    buffer.append(contentsOf: keyBytes)
                    buffer.append(contentsOf: #"":"#.utf8)
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: data[value]))
                    wrote += 1
                } while try scanner.nextMember(close: 0x7D)
            }
        } catch {
            throw ConsentError.storeUnavailable("the stored data of member \(jsonStringLiteral(member)) is not a JSON object: \(error)")
        }
        guard wrote > 0 else {
            buffer.removeSubrange(mark...)
            return .nothingAllowed
        }
        buffer.append(contentsOf: "}}".utf8)
        if let matcher, let owner = buffer.withUnsafeBufferPointer({
            matcher.owner(inRecord: UnsafeBufferPointer(rebasing: $0[mark...]), scratch: &folded)
        }) {
            buffer.removeSubrange(mark...)
            return .namesObjector(owner)
        }
        buffer.append(0x0A)
        if current == nil { try open() }
        currentRecords += 1
        if buffer.count >= 1 << 20 { try flush() }
        if currentRecords == shardRecords { try close() }
        return .written
    }

    private mutating func open() throws {
        currentName = String(format: "part-%05d.jsonl", files.count) + (gzip ? ".gz" : "")
        current = try OutputFile(path: directory + "/" + currentName, hashing: true)
        currentRecords = 0
    }

    private mutating func flush() throws {
        guard let current, !buffer.isEmpty else { return }
        try current.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func close() throws {
        try flush()
        guard let file = current else { return }
        try file.commit()
        files.append(.init(name: currentName, records: currentRecords, bytes: file.storedBytes, sha256: file.sha256 ?? ""))
        current = nil
    }

    mutating func finish() throws { try close() }

    /// Removes the shard being written and every shard already written.
    mutating func abandon() {
        current?.abandon()
        current = nil
        for file in files { unlink(directory + "/" + file.name) }
    }
}
