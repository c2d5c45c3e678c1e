import ConsentCore
import ConsentFormats
import Foundation

/// What a registered dataset holds, version by version: written as `manifest.json` in an
/// export's directory (`OUTPUT.manifest.json` beside a filtered file) and kept in the store.
///
/// Compact JSON, keys sorted, one line: the same content always gives the same bytes, and
/// the SHA-256 of those bytes names the version (a purge's manifest names its predecessor's).
public struct DatasetManifest: Equatable, Sendable {
    public static let format = "consentry-dataset/1"

    public struct File: Equatable, Sendable {
        /// The file name, relative to the manifest's directory.
        public var name: String
        public var records: Int
        /// Bytes as stored (compressed for `.gz`).
        public var bytes: Int
        public var sha256: String

        public init(name: String, records: Int, bytes: Int, sha256: String) {
            self.name = name
            self.records = records
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    /// What a purge removed to make this version.
    public struct Purge: Equatable, Sendable {
        public var removedMembers: Int
        public var removedRecords: Int
        /// Removed members by why: `objection_upheld`, or a decision's reason code with `--include-opted-out`.
        public var reasons: [String: Int]
        /// Records removed because they name someone who objected without being a member, by
        /// objection id (omitted when none).
        public var thirdParty: [String: Int]

        public init(removedMembers: Int, removedRecords: Int, reasons: [String: Int], thirdParty: [String: Int] = [:]) {
            self.removedMembers = removedMembers
            self.removedRecords = removedRecords
            self.reasons = reasons
            self.thirdParty = thirdParty
        }
    }

    public var dataset: DatasetID
    public var name: String
    public var kind: DatasetKind
    public var version: Int
    /// The version this one replaced and the SHA-256 of its manifest.
    public var previous: (version: Int, sha256: String)?
    public var createdAt: Date
    public var asOf: Date
    public var policyVersion: String?
    public var policySHA256: String?
    public var memberField: String
    public var records: Int
    public var members: Int
    /// Counts by outcome when the dataset was made: `eligible` or `kept`, and each reason.
    public var counts: [String: Int]
    /// The categories the dataset holds: those an export wrote, or those of a filtered file's
    /// kept records (empty in a filtered file registered before categories were checked).
    public var categories: [String]
    public var files: [File]
    public var purge: Purge?
    /// For a filtered file: the field each record's creation time was read from, or `none` when
    /// it was made with `--no-record-times` (every member who was a minor in the window left out
    /// whole). Nil for an export and in manifests written before it was recorded.
    public var recordTimes: String?
    /// For a filtered file: the field whose text was matched against non-members' objections
    /// (`--text-field`), or `none` when made with `--no-text`. Nil when it was not said (an
    /// export, or a file filtered while nobody objected): a purge then matches whole records.
    public var textField: String?
    /// The non-members' objections (ids, in byte order) whose identifiers every record of this
    /// version was matched against, when filtered or by a purge: a version holds no record
    /// naming them. An upheld one is complete once every registered dataset lists it here.
    public var thirdPartyChecked: [String] = []
    public var tool: String

    public init(dataset: DatasetID, name: String, kind: DatasetKind, version: Int, previous: (version: Int, sha256: String)?,
                createdAt: Date, asOf: Date, policyVersion: String?, policySHA256: String?, memberField: String,
                records: Int, members: Int, counts: [String: Int], categories: [String], files: [File],
                purge: Purge?, tool: String = "consentry " + GateVersion.tool) {
        self.dataset = dataset
        self.name = name
        self.kind = kind
        self.version = version
        self.previous = previous
        self.createdAt = createdAt
        self.asOf = asOf
        self.policyVersion = policyVersion
        self.policySHA256 = policySHA256
        self.memberField = memberField
        self.records = records
        self.members = members
        self.counts = counts
        self.categories = categories
        self.files = files
        self.purge = purge
        self.tool = tool
    }

    public static func == (lhs: DatasetManifest, rhs: DatasetManifest) -> Bool { lhs.json == rhs.json }

    /// The manifest's bytes: canonical JSON and a newline.
    public var json: String {
        var object = JSONObjectWriter(capacity: 512)
        object.field("as_of", JSONWriter.string(Timestamp.format(asOf)))
        object.field("categories", JSONWriter.array(categories.map(JSONWriter.string)))
        object.field("counts", Self.counts(counts))
        object.field("created_at", JSONWriter.string(Timestamp.format(createdAt)))
        object.field("dataset", JSONWriter.string(dataset.rawValue))
        object.field("files", JSONWriter.array(files.map { file in
            var entry = JSONObjectWriter()
            entry.field("bytes", String(file.bytes))
            entry.field("name", JSONWriter.string(file.name))
            entry.field("records", String(file.records))
            entry.field("sha256", JSONWriter.string(file.sha256))
            return entry.finish()
        }))
        object.field("format", JSONWriter.string(Self.format))
        object.field("kind", JSONWriter.string(kind.rawValue))
        object.field("member_field", JSONWriter.string(memberField))
        object.field("members", String(members))
        object.field("name", JSONWriter.string(name))
        var policy = JSONObjectWriter()
        policy.field("sha256", JSONWriter.optional(policySHA256))
        policy.field("version", JSONWriter.optional(policyVersion))
        object.field("policy", policy.finish())
        if let previous {
            var entry = JSONObjectWriter()
            entry.field("manifest_sha256", JSONWriter.string(previous.sha256))
            entry.field("version", String(previous.version))
            object.field("previous", entry.finish())
        } else {
            object.field("previous", "null")
        }
        if let purge {
            var entry = JSONObjectWriter()
            entry.field("reasons", Self.counts(purge.reasons))
            entry.field("removed_members", String(purge.removedMembers))
            entry.field("removed_records", String(purge.removedRecords))
            if !purge.thirdParty.isEmpty { entry.field("third_party", Self.counts(purge.thirdParty)) }
            object.field("purge", entry.finish())
        } else {
            object.field("purge", "null")
        }
        if let recordTimes { object.field("record_times", JSONWriter.string(recordTimes)) }
        object.field("records", String(records))
        if let textField { object.field("text_field", JSONWriter.string(textField)) }
        if !thirdPartyChecked.isEmpty { object.field("third_party_checked", JSONWriter.array(thirdPartyChecked.map(JSONWriter.string))) }
        object.field("tool", JSONWriter.string(tool))
        object.field("version", String(version))
        return object.finish() + "\n"
    }

    public var sha256: String { Digest.sha256Hex(json) }

    private static func counts(_ counts: [String: Int]) -> String {
        JSONWriter.object(counts.mapValues { String($0) })
    }

    /// Reads a manifest; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws -> DatasetManifest {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw GateError.badSource(source, "not a manifest: \(error)")
        }
        let fields = Fields(value, source: source)
        guard try fields.string("format") == format else {
            throw GateError.badSource(source, "not a \(format) manifest")
        }
        guard let kind = DatasetKind(rawValue: try fields.string("kind")) else { throw GateError.badSource(source, "kind: unknown") }
        let previous = try fields.object("previous").map { entry in
            (version: try entry.int("version"), sha256: try entry.string("manifest_sha256"))
        }
        let purge = try fields.object("purge").map { entry in
            Purge(removedMembers: try entry.int("removed_members"), removedRecords: try entry.int("removed_records"),
                  reasons: try entry.counts("reasons"), thirdParty: try entry.optionalCounts("third_party") ?? [:])
        }
        let policy = try fields.object("policy")
        var manifest = DatasetManifest(
            dataset: DatasetID(rawValue: try fields.string("dataset")), name: try fields.string("name"), kind: kind,
            version: try fields.int("version"), previous: previous, createdAt: try fields.time("created_at"),
            asOf: try fields.time("as_of"), policyVersion: try policy?.optionalString("version"),
            policySHA256: try policy?.optionalString("sha256"), memberField: try fields.string("member_field"),
            records: try fields.int("records"), members: try fields.int("members"), counts: try fields.counts("counts"),
            categories: try fields.strings("categories"),
            files: try fields.objects("files").map { file in
                File(name: try file.string("name"), records: try file.int("records"), bytes: try file.int("bytes"),
                     sha256: try file.string("sha256"))
            },
            purge: purge, tool: try fields.string("tool"))
        manifest.recordTimes = try fields.optionalString("record_times")
        manifest.textField = try fields.optionalString("text_field")
        manifest.thirdPartyChecked = try fields.optionalStrings("third_party_checked") ?? []
        return manifest
    }

    /// Typed access to a parsed object's members, with errors naming the field.
    private struct Fields {
        let members: [String: JSONValue]
        let source: String

        init(_ value: JSONValue, source: String) {
            if case .object(let list) = value {
                members = Dictionary(list.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
            } else {
                members = [:]
            }
            self.source = source
        }

        func fail(_ key: String, _ what: String) -> GateError { .badSource(source, "\(key): \(what)") }

        func string(_ key: String) throws -> String {
            guard case .string(let text)? = members[key] else { throw fail(key, "expected a string") }
            return text
        }

        func optionalString(_ key: String) throws -> String? {
            switch members[key] {
            case .string(let text)?: return text
            case .null?, nil: return nil
            default: throw fail(key, "expected a string or null")
            }
        }

        func int(_ key: String) throws -> Int {
            guard case .number(let text)? = members[key], let value = Int(text), value >= 0 else {
                throw fail(key, "expected a whole number")
            }
            return value
        }

        func time(_ key: String) throws -> Date {
            guard let instant = Timestamp.parse(try string(key)) else { throw fail(key, "expected an RFC 3339 time") }
            return instant
        }

        func object(_ key: String) throws -> Fields? {
            switch members[key] {
            case .object?: return Fields(members[key]!, source: source)
            case .null?, nil: return nil
            default: throw fail(key, "expected an object or null")
            }
        }

        func objects(_ key: String) throws -> [Fields] {
            guard case .array(let list)? = members[key] else { throw fail(key, "expected an array") }
            return list.map { Fields($0, source: source) }
        }

        func strings(_ key: String) throws -> [String] {
            guard case .array(let list)? = members[key] else { throw fail(key, "expected an array") }
            return try list.map { element in
                guard case .string(let text) = element else { throw fail(key, "expected strings") }
                return text
            }
        }

        func optionalStrings(_ key: String) throws -> [String]? { members[key] == nil ? nil : try strings(key) }

        func optionalCounts(_ key: String) throws -> [String: Int]? { members[key] == nil ? nil : try counts(key) }

        func counts(_ key: String) throws -> [String: Int] {
            guard case .object(let list)? = members[key] else { throw fail(key, "expected an object") }
            var counts: [String: Int] = [:]
            for (name, value) in list {
                guard case .number(let text) = value, let count = Int(text) else { throw fail("\(key).\(name)", "expected a count") }
                counts[name] = count
            }
            return counts
        }
    }
}

/// Writes small files (manifests) atomically: beside, fsync, rename, fsync the directory.
public enum AtomicFile {
    public static func write(_ text: String, to path: String) throws {
        let output = try OutputFile(path: path, hashing: false)
        do {
            try output.write(Array(text.utf8))
            try output.commit()
        } catch {
            output.abandon()
            throw error
        }
    }
}
