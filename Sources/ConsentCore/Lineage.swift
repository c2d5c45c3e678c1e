import Foundation

/// The identifier of a registered training dataset, e.g. `ds_20261129_3f9a1c2b`.
public struct DatasetID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A new identifier: the UTC creation date and 32 random bits, so ids sort by day.
    public static func random(at instant: Date) -> DatasetID {
        var generator = SystemRandomNumberGenerator()
        let hex = String(generator.next() as UInt32, radix: 16)
        let day = Timestamp.format(instant).prefix(10).replacingOccurrences(of: "-", with: "")
        return DatasetID(rawValue: "ds_\(day)_" + String(repeating: "0", count: 8 - hex.count) + hex)
    }

    public var description: String { rawValue }

    public static func < (lhs: DatasetID, rhs: DatasetID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }
}

/// How a dataset came to be.
public enum DatasetKind: String, Sendable, CaseIterable {
    /// Written by `consentry datasets export` from the store: a directory of shards and a manifest.
    case export
    /// Written by `consentry datasets filter --register`: one JSON Lines file keyed by a member field.
    case filter
}

/// One version of a dataset's content. Version 1 is what was written; each purge adds one.
public struct DatasetVersion: Sendable, Equatable {
    public enum State: String, Sendable {
        /// A purge wrote this version's files and has not yet put them in place.
        case pending
        /// In place: the highest committed version is the dataset's content.
        case committed
        /// An interrupted purge whose files never replaced the previous version.
        case abandoned
    }

    public var version: Int
    public var state: State
    public var createdAt: Date
    /// The manifest as written (JSON); its `files` name the data files of this version.
    public var manifestJSON: String
    public var manifestSHA256: String
    public var records: Int
    /// Members whose records this version removed (0 for version 1).
    public var removedMembers: Int

    public init(version: Int, state: State, createdAt: Date, manifestJSON: String, manifestSHA256: String,
                records: Int, removedMembers: Int) {
        self.version = version
        self.state = state
        self.createdAt = createdAt
        self.manifestJSON = manifestJSON
        self.manifestSHA256 = manifestSHA256
        self.records = records
        self.removedMembers = removedMembers
    }
}

/// A registered training dataset: where it is, what decided its content, and its versions.
public struct Dataset: Sendable, Equatable {
    public var id: DatasetID
    public var name: String
    public var kind: DatasetKind
    /// Absolute path: the directory of an export, the file of a filter run.
    public var location: String
    /// The top-level key naming each record's member (`member` in exports).
    public var memberField: String
    public var createdAt: Date
    public var asOf: Date
    public var policyVersion: String?
    public var policySHA256: String?
    /// Every version, oldest first (including pending and abandoned ones).
    public var versions: [DatasetVersion]
    /// Members whose records the current version holds.
    public var members: Int

    public init(id: DatasetID, name: String, kind: DatasetKind, location: String, memberField: String, createdAt: Date,
                asOf: Date, policyVersion: String?, policySHA256: String?, versions: [DatasetVersion], members: Int) {
        self.id = id
        self.name = name
        self.kind = kind
        self.location = location
        self.memberField = memberField
        self.createdAt = createdAt
        self.asOf = asOf
        self.policyVersion = policyVersion
        self.policySHA256 = policySHA256
        self.versions = versions
        self.members = members
    }

    /// The version in place: the last committed one.
    public var current: DatasetVersion? { versions.last { $0.state == .committed } }
    /// A purge that was interrupted between writing its files and recording the outcome.
    public var pending: DatasetVersion? { versions.last { $0.state == .pending } }
}

/// What `registerDataset` records: the dataset's facts and its first version.
public struct NewDataset: Sendable {
    public var id: DatasetID
    public var name: String
    public var kind: DatasetKind
    public var location: String
    public var memberField: String
    public var asOf: Date
    public var policyVersion: String?
    public var policySHA256: String?
    public var manifestJSON: String
    public var manifestSHA256: String
    public var records: Int

    public init(id: DatasetID, name: String, kind: DatasetKind, location: String, memberField: String, asOf: Date,
                policyVersion: String?, policySHA256: String?, manifestJSON: String, manifestSHA256: String, records: Int) {
        self.id = id
        self.name = name
        self.kind = kind
        self.location = location
        self.memberField = memberField
        self.asOf = asOf
        self.policyVersion = policyVersion
        self.policySHA256 = policySHA256
        self.manifestJSON = manifestJSON
        self.manifestSHA256 = manifestSHA256
        self.records = records
    }
}

/// A model and the dataset versions it was trained on.
public struct TrainedModel: Sendable, Equatable {
    public struct Source: Sendable, Equatable {
        public var dataset: DatasetID
        /// The dataset's version when the model was registered.
        public var version: Int

        public init(dataset: DatasetID, version: Int) {
            self.dataset = dataset
            self.version = version
        }
    }

    public var name: String
    public var registeredAt: Date
    public var sources: [Source]
    /// Members whose records were in a dataset version the model was trained on and have since
    /// been purged from that dataset: the model still carries what they objected to.
    public var removedMembers: Int

    public init(name: String, registeredAt: Date, sources: [Source], removedMembers: Int) {
        self.name = name
        self.registeredAt = registeredAt
        self.sources = sources
        self.removedMembers = removedMembers
    }

    /// Trained on data that has since been removed from its datasets.
    public var containsRemovedData: Bool { removedMembers > 0 }
}

/// Every dataset and model that holds (or held) one member's data.
public struct MemberLineage: Sendable, Equatable {
    public struct DatasetEntry: Sendable, Equatable {
        public var dataset: DatasetID
        public var name: String
        public var createdAt: Date
        /// When a purge took the member out, and in which version; nil while the dataset holds them.
        public var removedAt: Date?
        public var removedInVersion: Int?
        /// The data categories the dataset took (an export's); empty when it did not record them
        /// (a filtered file holds whatever its input held).
        public var categories: [String]

        public init(dataset: DatasetID, name: String, createdAt: Date, removedAt: Date?, removedInVersion: Int?, categories: [String] = []) {
            self.dataset = dataset
            self.name = name
            self.createdAt = createdAt
            self.removedAt = removedAt
            self.removedInVersion = removedInVersion
            self.categories = categories
        }
    }

    public struct ModelEntry: Sendable, Equatable {
        public var model: String
        public var registeredAt: Date
        public var dataset: DatasetID
        /// The model was trained on a version that still held the member (now removed from the dataset).
        public var trainedBeforeRemoval: Bool

        public init(model: String, registeredAt: Date, dataset: DatasetID, trainedBeforeRemoval: Bool) {
            self.model = model
            self.registeredAt = registeredAt
            self.dataset = dataset
            self.trainedBeforeRemoval = trainedBeforeRemoval
        }
    }

    public var datasets: [DatasetEntry]
    public var models: [ModelEntry]

    public init(datasets: [DatasetEntry] = [], models: [ModelEntry] = []) {
        self.datasets = datasets
        self.models = models
    }

    /// Datasets whose current version still holds the member.
    public var heldBy: [DatasetEntry] { datasets.filter { $0.removedAt == nil } }
}

/// A dataset that holds a member whose objection was upheld: their erasure is owed (or, when
/// `completed`, was reported done and the data turned up again).
public struct HeldObjector: Sendable, Equatable {
    public var dataset: DatasetID
    public var member: MemberID
    public var objection: ObjectionID
    /// The objection was already completed: the member's data was removed, and is back.
    public var completed: Bool

    public init(dataset: DatasetID, member: MemberID, objection: ObjectionID, completed: Bool) {
        self.dataset = dataset
        self.member = member
        self.objection = objection
        self.completed = completed
    }
}

/// The record of datasets, models and which members each holds: what went into every training
/// set, and what a purge took out. Writes are transactions that append their audit entries.
public protocol LineageStore: ConsentStore {
    /// Registers a dataset, its first version and the members whose records it holds (ids the
    /// store does not know are refused: lineage must name real members).
    func registerDataset(_ dataset: NewDataset, members: [MemberID], actor: String) async throws
    /// Every dataset, oldest first.
    func datasets() async throws -> [Dataset]
    func dataset(_ id: DatasetID) async throws -> Dataset?
    /// The members the dataset's current version holds, in id order.
    func members(of dataset: DatasetID) async throws -> [MemberID]

    /// Records a purge's new version as pending, with the members it removes, before its files
    /// replace the current ones. Refuses when another purge of the dataset is pending.
    func beginPurge(of dataset: DatasetID, version: DatasetVersion, removing: [MemberID], actor: String) async throws
    /// Settles a pending version: committed (the files are in place; the members are marked
    /// removed) or abandoned (the previous version stayed in place). After a commit, every
    /// upheld objection whose member no dataset holds any more becomes `completed`; their ids
    /// are returned.
    func finishPurge(of dataset: DatasetID, version: Int, committed: Bool, actor: String) async throws -> [ObjectionID]
    /// Marks upheld objections whose member no dataset holds as `completed` (a member who was
    /// never in any dataset is done at once).
    func completeObjections(actor: String) async throws -> [ObjectionID]
    /// Upholds or rejects an undecided objection, with a reason; an upheld one whose member no
    /// dataset holds is completed in the same transaction (the one code path the server and the
    /// CLI share).
    func decideObjection(_ id: ObjectionID, outcome: ObjectionOutcome, reason: String, at instant: Date,
                         actor: String) async throws -> Objection

    /// Records a model trained on the current versions of `datasets`; names are unique.
    func registerModel(name: String, datasets: [DatasetID], actor: String) async throws -> TrainedModel
    func models() async throws -> [TrainedModel]
    /// Every dataset and model that holds or held the member.
    func lineage(of member: MemberID) async throws -> MemberLineage
    /// Every member a dataset's current version holds although their objection was upheld (or
    /// completed): what a purge must remove, and what `datasets verify` reports. By dataset, then member.
    func heldObjectors() async throws -> [HeldObjector]

    /// Every member's id and stored data (a JSON object by category), in id order, as raw
    /// UTF-8 valid only during the call: the export's read of the whole population.
    func forEachMemberData(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) async throws
}
