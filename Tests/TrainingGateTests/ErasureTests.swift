import ConsentCore
import ConsentFormats
import ConsentSQLite
import ConsentTesting
import Foundation
import Testing
@testable import TrainingGate

/// Using data is always a use now, and an erasure stays done: no as-of instant, race or old
/// dataset brings back a member who objected or opted out.
struct ErasureTests {
    static let asOf = LineageTests.asOf

    static func members(_ path: String) throws -> [String] {
        try LineageTests.lines(path).map { String($0.split(separator: "\"")[3]) }
    }

    static func upheldAndCompleted(_ member: String, in store: SQLiteConsentStore) async throws -> ObjectionID {
        let objection = try await LineageTests.uphold(member, in: store)
        _ = try await DatasetPurge.run(store: store, options: .init(datasets: nil, actor: "test"))
        #expect(try await store.objection(objection)?.status == .completed)
        return objection
    }

    @Test func aBackdatedExportLeavesOutWhoObjectedOrOptedOutSince() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await LineageTests.store(scratch)
        let first = try await DatasetExport.run(store: store, options: .init(asOf: Self.asOf, directory: scratch.path("e1"), actor: "test"))
        #expect(try first.manifest.files.flatMap { try Self.members(scratch.path("e1/" + $0.name)) } == ["m1", "m4"])
        _ = try await Self.upheldAndCompleted("m4", in: store)
        // m1 switches the setting off today: at as-of they were eligible, now they are not.
        try await store.recordChoice(ConsentEvent(member: MemberID("m1")!, choice: .off, channel: .ios, at: Date(), actor: "m1"))

        let second = try await DatasetExport.run(store: store, options: .init(asOf: Self.asOf, directory: scratch.path("e2"), actor: "test"))
        #expect(second.manifest.records == 0 && second.manifest.files.isEmpty, "nobody usable now")
        #expect(second.manifest.counts["objection_upheld"] == 1 && second.manifest.counts["opted_out"] == 2,
                "the reason is the one that excludes now when only now excludes: \(second.manifest.counts)")
        #expect(try await store.lineage(of: MemberID("m4")!).heldBy.isEmpty)
        #expect(try await store.heldObjectors().isEmpty)

        // The same rule in every other path to training data.
        let view = try await store.decisionView(now: Date())
        let fromStore = try await GateSources.decisions(from: store, asOf: Self.asOf, now: view.moment)
        #expect(fromStore.table.verdict("m4")?.drop == .objectionUpheld && fromStore.table.verdict("m1")?.drop == .optedOut)
        #expect(fromStore.decidedAt == view.moment)
        try SnapshotFile.write(view, asOf: Self.asOf, to: scratch.path("snap.tsv"))
        let (header, fromFile) = try SnapshotFile.read(path: scratch.path("snap.tsv"))
        #expect(header.asOf == Self.asOf && header.decidedAt == view.moment)
        #expect(fromFile.table.verdict("m4")?.drop == .objectionUpheld && fromFile.table.verdict("m1")?.drop == .optedOut)
        let posts = scratch.write("posts.jsonl", #"{"member_id": "m1"}"# + "\n" + #"{"member_id": "m4"}"# + "\n" + #"{"member_id": "m6"}"# + "\n")
        let filtered = try await RegisteredFilter.run(inputs: [posts], output: scratch.path("kept.jsonl"), decisions: fromStore,
                                                      options: FilterOptions(memberField: "member_id", category: .contentPosts, noRecordTimes: true, threads: 1), name: "posts",
                                                      store: store, actor: "test")
        #expect(filtered.0.kept == 0 && filtered.0.dropped == [.objectionUpheld: 1, .optedOut: 1, .awaitingConsent: 1])
        // A decision about the past still says what it was then.
        #expect(try view.decision(for: MemberID("m1")!, at: Self.asOf).eligible)
        #expect(try view.use(for: MemberID("m1")!, asOf: Self.asOf) == TrainingUse(
            asOf: try view.decision(for: MemberID("m1")!, at: Self.asOf), now: try view.decision(for: MemberID("m1")!, at: view.moment),
            usableFrom: CivilDate(year: 2008, month: 1, day: 1)))
    }

    @Test func anObjectionUpheldWhileAnExportRunsIsNeverRegistered() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await LineageTests.store(scratch)
        var options = DatasetExport.Options(asOf: Self.asOf, directory: scratch.path("ds"), shardRecords: 1, actor: "test")
        // The decisions are taken and the shards written; then the privacy team upholds m4's objection.
        options.beforeRegistering = { _ = try await LineageTests.uphold("m4", in: store) }
        let error = await #expect(throws: ConsentError.self) { try await DatasetExport.run(store: store, options: options) }
        #expect(error?.description.contains("holds 1 member whose objection was upheld: m4") == true, "\(String(describing: error))")
        #expect(try await store.datasets().isEmpty, "nothing registered")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("ds")).isEmpty, "no shard or manifest left behind")
        #expect(try await store.lineage(of: MemberID("m4")!).datasets.isEmpty)

        // A filter run whose decisions were taken before the objection was upheld is refused too.
        let before = try await GateSources.decisions(from: store, asOf: Self.asOf, now: Date())
        _ = try await LineageTests.uphold("m1", in: store)
        let posts = scratch.write("posts.jsonl", #"{"member_id": "m1"}"# + "\n")
        await #expect(throws: ConsentError.self) {
            _ = try await RegisteredFilter.run(inputs: [posts], output: scratch.path("kept.jsonl"), decisions: before,
                                               options: FilterOptions(memberField: "member_id", category: .contentPosts, noRecordTimes: true, threads: 1), name: "posts",
                                               store: store, actor: "test")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("kept.jsonl")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasPrefix(".") }.isEmpty,
                "no staged file left")
    }

    /// A non-member's erasure reaches an export (whose records name no text field, so they are
    /// searched whole) and is not searched for again where the gate already applied it; once
    /// every dataset was searched, the objection is complete, and it stays done.
    @Test func aNonMembersErasureReachesExportsAndIsSearchedForOnce() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await LineageTests.store(scratch)
        let export = try await DatasetExport.run(store: store, options: .init(asOf: Self.asOf, directory: scratch.path("e1"), actor: "test"))
        #expect(export.manifest.members == 2, "m1 (whose posts say hello, world) and m4")

        let policy = try #require(try await store.activePolicy()).policy
        let objection = Objection.fileForNonMember(id: .random(), email: "world@example.com", identifiers: ["World"],
                                                   at: Date().addingTimeInterval(-60), reason: nil, terms: policy.objectionTerms)
        try await store.fileObjection(objection, actor: "world@example.com")
        _ = try await store.updateObjection(objection.id, actor: "privacy") { try $0.deciding(.uphold, reason: "Upheld.", at: Date().addingTimeInterval(-30)) }
        // Filtered once the objection stands: the gate drops what names them, and says so in the manifest.
        let decisions = try await GateSources.decisions(from: store, asOf: Self.asOf, now: Date(),
                                                  thirdParty: ThirdPartyObjection.applying(try await store.objections(status: nil)))
        let posts = scratch.write("posts.jsonl", #"{"member_id": "m1", "text": "hello world"}"# + "\n" + #"{"member_id": "m1", "text": "hi"}"# + "\n")
        var options = FilterOptions(memberField: "member_id", category: .contentPosts, noRecordTimes: true, threads: 1)
        options.textField = "text"
        let (filtered, manifest) = try await RegisteredFilter.run(inputs: [posts], output: scratch.path("kept.jsonl"), decisions: decisions,
                                                                  options: options, name: "posts", store: store, actor: "test")
        #expect(filtered.thirdParty == [objection.id.rawValue: 1] && manifest.thirdPartyChecked == [objection.id.rawValue])
        #expect(try await store.objection(objection.id)?.status == .upheld, "the export still names them")

        let purged = try await DatasetPurge.run(store: store, options: .init(datasets: nil, actor: "test"))
        let byName = Dictionary(uniqueKeysWithValues: purged.outcomes.map { ($0.dataset, $0) })
        let exported = try #require(byName[export.manifest.dataset])
        #expect(exported.action == .purged && exported.removedRecords == 1 && exported.removedMembers == 1
                && exported.thirdParty == [objection.id.rawValue: 1], "m1's only record in the export names them: m1 leaves it")
        #expect(byName[manifest.dataset]?.action == .unchanged, "searched already when filtered")
        let current = try #require(try await store.dataset(export.manifest.dataset)?.current)
        let next = try DatasetManifest.parse(current.manifestJSON, source: "test")
        #expect(next.purge?.reasons == ["third_party_objection": 1] && next.thirdPartyChecked == [objection.id.rawValue])
        #expect(try next.files.flatMap { try Self.members(scratch.path("e1/" + $0.name)) } == ["m4"])
        #expect(try await store.lineage(of: MemberID("m1")!).heldBy.map(\.dataset) == [manifest.dataset], "still in the filtered posts")
        #expect(purged.completedObjections == [objection.id])
        #expect(try await store.objection(objection.id)?.status == .completed)

        let again = try await DatasetPurge.run(store: store, options: .init(datasets: nil, actor: "test"))
        #expect(again.outcomes.allSatisfy { $0.action == .unchanged } && again.completedObjections.isEmpty)

        // An export made now leaves out the line that names them, and says it was searched.
        let later = try await DatasetExport.run(store: store, options: .init(asOf: Self.asOf, directory: scratch.path("e2"), actor: "test"))
        #expect(try later.manifest.files.flatMap { try Self.members(scratch.path("e2/" + $0.name)) } == ["m4"])
        #expect(later.manifest.counts["third_party_objection"] == 1 && later.manifest.thirdPartyChecked == [objection.id.rawValue])
        let last = try await DatasetPurge.run(store: store, options: .init(datasets: nil, actor: "test"))
        #expect(last.outcomes.allSatisfy { $0.action == .unchanged }, "nothing to search again")
    }
}
