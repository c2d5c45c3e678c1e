import ConsentCore
import ConsentFormats
import ConsentSQLite
import ConsentTesting
import Foundation
import Testing
@testable import TrainingGate

/// Export, registered filter runs, models, lineage and purge against a real SQLite store and real files.
struct LineageTests {
    static let asOf = Timestamp.parse("2026-03-01T00:00:00Z")!

    /// Six members whose decisions at `asOf` are known by construction.
    static func store(_ scratch: FilterTests.Scratch) async throws -> SQLiteConsentStore {
        let store = try SQLiteConsentStore(path: scratch.path("store.sqlite"))
        try await store.applyPolicy(try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "policy"), actor: "test")
        func member(_ id: String, _ born: (Int, Int, Int), _ country: String, _ data: [Category: String]) -> ImportLine<MemberRecord> {
            ImportLine(line: 1, record: .success(MemberRecord(
                member: Member(id: MemberID(id)!, birthDate: CivilDate(year: born.0, month: born.1, day: born.2), country: CountryCode(country)!),
                data: data)))
        }
        let lines = [
            // Eligible (Europe, included by default); holds never-allowed and not-allowed data too.
            member("m1", (1990, 1, 1), "DE", [.profileHeadline: #""Engineer""#, .accountLogin: #"{"password_hash":"x"}"#,
                                              .messagesPrivate: #""secret""#, .accountEmail: #""a@example.com""#,
                                              .contentPosts: #"["hello","world"]"#]),
            member("m2", (1985, 5, 5), "US", [.profileHeadline: #""Opted out""#]),
            member("m3", (2012, 1, 1), "FR", [.profileHeadline: #""A minor""#]),
            member("m4", (1980, 2, 29), "DE", [.accountName: #""Will object""#, .profileSummary: #""Summary \"quoted\"""#]),
            member("m5", (1970, 7, 7), "US", [.accountEmail: #""only@not-allowed.example""#]),
            member("m6", (1975, 3, 3), "CA", [.profileHeadline: #""Never asked""#]),
        ]
        _ = try await store.importMembers(lines, options: ImportOptions(source: "test", actor: "test"))
        try await store.recordChoice(ConsentEvent(member: MemberID("m2")!, choice: .off, channel: .web,
                                                  at: Timestamp.parse("2025-01-01T00:00:00Z")!, actor: "m2"))
        return store
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func uphold(_ member: String, in store: SQLiteConsentStore) async throws -> ObjectionID {
        let policy = try #require(try await store.activePolicy()).policy
        let objection = Objection.file(id: .random(), member: MemberID(member)!, at: Date().addingTimeInterval(-60), reason: nil,
                                       terms: policy.objectionTerms)
        try await store.fileObjection(objection, actor: member)
        _ = try await store.updateObjection(objection.id, actor: "privacy") {
            try $0.deciding(.uphold, reason: "Upheld.", at: Date().addingTimeInterval(-30))
        }
        return objection.id
    }

    @Test func anExportHoldsEligibleMembersAndOnlyAllowedCategories() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await Self.store(scratch)
        let result = try await DatasetExport.run(store: store, options: .init(asOf: Self.asOf, directory: scratch.path("ds"),
                                                                              name: "march", shardRecords: 1, actor: "test"))
        let manifest = result.manifest
        #expect(manifest.records == 2 && manifest.files.map(\.name) == ["part-00000.jsonl", "part-00001.jsonl"])
        #expect(manifest.counts == ["eligible": 3, "included_by_default": 3, "opted_out": 1, "minor": 1, "awaiting_consent": 1,
                                    "eligible_without_allowed_data": 1])
        let rows = try manifest.files.flatMap { try Self.lines(scratch.path("ds/" + $0.name)) }
        #expect(rows == [#"{"member":"m1","data":{"content.posts":["hello","world"],"profile.headline":"Engineer"}}"#,
                         #"{"member":"m4","data":{"account.name":"Will object","profile.summary":"Summary \"quoted\""}}"#])
        for file in manifest.files {
            #expect(try FileDigest.sha256(of: scratch.path("ds/" + file.name)) == file.sha256 && file.records == 1)
        }
        // The manifest on disk is the registered version 1, and lineage knows the members.
        let onDisk = try String(contentsOfFile: scratch.path("ds/manifest.json"), encoding: .utf8)
        let dataset = try #require(try await store.dataset(manifest.dataset))
        #expect(dataset.current?.manifestSHA256 == Digest.sha256Hex(onDisk) && dataset.members == 2 && dataset.kind == .export)
        #expect(try DatasetManifest.parse(onDisk, source: "manifest.json") == manifest)
        #expect(try await store.members(of: manifest.dataset).map(\.rawValue) == ["m1", "m4"])
        #expect(try await store.lineage(of: MemberID("m1")!).heldBy.map(\.dataset) == [manifest.dataset])
        #expect(try await store.lineage(of: MemberID("m2")!).datasets.isEmpty)
        #expect(DatasetCheck.check(dataset).isIntact)
        // A directory that is not empty is refused, and nothing is registered for it.
        await #expect(throws: GateError.self) {
            try await DatasetExport.run(store: store, options: .init(asOf: Self.asOf, directory: scratch.path("ds"), actor: "test"))
        }
        #expect(try await store.datasets().count == 1)
        // Decisions about the future are not known yet: refused, nothing written.
        await #expect(throws: GateError.self) {
            try await DatasetExport.run(store: store, options: .init(asOf: Date().addingTimeInterval(86_400),
                                                                     directory: scratch.path("future"), actor: "test"))
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("future")))
    }

    @Test func aPurgeRemovesUpheldMembersEverywhereAndCompletesTheirObjection() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await Self.store(scratch)
        let export = try await DatasetExport.run(store: store, options: .init(asOf: Self.asOf, directory: scratch.path("ds"),
                                                                              shardRecords: 1, gzip: true, actor: "test")).manifest
        // A filtered file of posts, registered.
        let posts = scratch.write("posts.jsonl", """
            {"member_id": "m4", "text": "first"}
            {"member_id": "m1", "text": "kept"}
            {"member_id": "m2", "text": "opted out"}
            {"member_id": "m4", "text": "second"}

            """)
        let view = try await store.decisionView(now: Date())
        let (filtered, filterManifest) = try await RegisteredFilter.run(
            inputs: [posts], output: scratch.path("kept.jsonl"),
            decisions: try await GateSources.decisions(from: store, asOf: Self.asOf, now: view.moment),
            options: FilterOptions(memberField: "member_id", category: .contentPosts, noRecordTimes: true, threads: 2), name: "posts", store: store, actor: "test")
        #expect(filtered.kept == 3 && filtered.keptMembers.map(\.rawValue) == ["m1", "m4"])
        #expect(try await store.members(of: filterManifest.dataset).map(\.rawValue) == ["m1", "m4"])
        let model = try await store.registerModel(name: "assistant-1", datasets: [export.dataset, filterManifest.dataset], actor: "test")
        #expect(model.sources.allSatisfy { $0.version == 1 } && !model.containsRemovedData)
        await #expect(throws: ConsentError.self) {
            _ = try await store.registerModel(name: "assistant-1", datasets: [export.dataset], actor: "test")
        }

        let objection = try await Self.uphold("m4", in: store)
        let result = try await DatasetPurge.run(store: store, options: .init(datasets: nil, actor: "test"))
        #expect(result.outcomes.map(\.action) == [.purged, .purged])
        #expect(result.outcomes.map(\.removedRecords) == [1, 2])
        #expect(result.completedObjections.contains(objection))
        #expect(try await store.objection(objection)?.status == .completed)
        // Both datasets moved to version 2, without m4, and say what they replaced.
        let exported = try #require(try await store.dataset(export.dataset))
        let v2 = try DatasetManifest.parse(try #require(exported.current).manifestJSON, source: "v2")
        #expect(v2.version == 2 && v2.previous?.version == 1 && v2.previous?.sha256 == exported.versions[0].manifestSHA256)
        #expect(v2.purge == .init(removedMembers: 1, removedRecords: 1, reasons: ["objection_upheld": 1]))
        #expect(v2.files.map(\.name) == ["part-00000.jsonl.gz", "part-00001.v2.jsonl.gz"], "an untouched shard is kept as is")
        let shard = try gunzip(scratch.path("ds/part-00001.v2.jsonl.gz"))
        #expect(shard.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("ds/part-00001.jsonl.gz")), "old files are deleted")
        #expect(try Self.lines(scratch.path("kept.jsonl")) == [#"{"member_id": "m1", "text": "kept"}"#])
        #expect(DatasetCheck.check(exported).isIntact)
        #expect(DatasetCheck.check(try #require(try await store.dataset(filterManifest.dataset))).versionOnDisk == 2)
        // Lineage and models say what happened.
        let lineage = try await store.lineage(of: MemberID("m4")!)
        #expect(lineage.datasets.count == 2 && lineage.heldBy.isEmpty && lineage.datasets.allSatisfy { $0.removedInVersion == 2 })
        #expect(lineage.models.count == 2 && lineage.models.allSatisfy(\.trainedBeforeRemoval))
        #expect(try await store.models().first?.removedMembers == 1)
        // Purging again changes nothing.
        let again = try await DatasetPurge.run(store: store, options: .init(datasets: nil, actor: "test"))
        #expect(again.outcomes.map(\.action) == [.unchanged, .unchanged] && again.completedObjections.isEmpty)
        // The audit chain recorded it all and still verifies.
        var actions: [AuditAction] = []
        try await store.auditEntries(from: nil, to: nil) { actions.append($0.action) }
        #expect(actions.filter { $0 == .datasetPurged }.count == 2 && actions.contains(.objectionCompleted)
                && actions.contains(.modelRegistered) && actions.filter { $0 == .datasetRegistered }.count == 2)
        _ = try await store.verifyAuditChain()
    }

    @Test func includeOptedOutAlsoRemovesMembersNoLongerEligible() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await Self.store(scratch)
        let export = try await DatasetExport.run(store: store, options: .init(asOf: Self.asOf, directory: scratch.path("ds"),
                                                                              actor: "test")).manifest
        try await store.recordChoice(ConsentEvent(member: MemberID("m1")!, choice: .off, channel: .ios, at: Date(), actor: "m1"))
        let plain = try await DatasetPurge.run(store: store, options: .init(datasets: [export.dataset], actor: "test"))
        #expect(plain.outcomes.first?.action == .unchanged, "an opt-out alone does not purge without the flag")
        let wide = try await DatasetPurge.run(store: store, options: .init(datasets: [export.dataset], includeNotEligible: true,
                                                                           actor: "test"))
        #expect(wide.outcomes.first?.removedMembers == 1)
        let current = try #require(try await store.dataset(export.dataset)?.current)
        #expect(try DatasetManifest.parse(current.manifestJSON, source: "").purge?.reasons == ["opted_out": 1])
        #expect(try await store.members(of: export.dataset).map(\.rawValue) == ["m4"])
    }

    @Test func aChangedFileStopsThePurgeAndNothingIsWritten() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await Self.store(scratch)
        let export = try await DatasetExport.run(store: store, options: .init(asOf: Self.asOf, directory: scratch.path("ds"),
                                                                              actor: "test")).manifest
        _ = try await Self.uphold("m1", in: store)
        let shard = scratch.path("ds/part-00000.jsonl")
        try (try String(contentsOfFile: shard, encoding: .utf8) + #"{"member":"m9","data":{}}"# + "\n")
            .write(toFile: shard, atomically: false, encoding: .utf8)
        #expect(!DatasetCheck.check(try #require(try await store.dataset(export.dataset))).isIntact)
        await #expect(throws: GateError.self) {
            _ = try await DatasetPurge.run(store: store, options: .init(datasets: [export.dataset], actor: "test"))
        }
        let dataset = try #require(try await store.dataset(export.dataset))
        #expect(dataset.versions.count == 1 && dataset.members == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("ds")).sorted() == ["manifest.json", "part-00000.jsonl"])
    }

    @Test func theObjectionStateMachineCompletesOnlyUpheldObjections() throws {
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        let filed = Objection.file(id: .random(), member: MemberID("m1")!, at: Self.asOf, reason: nil, terms: terms)
        #expect(throws: ConsentError.self) { try filed.completing(reason: "done", at: Self.asOf) }
        let rejected = try filed.deciding(.reject, reason: "no", at: Self.asOf)
        #expect(throws: ConsentError.self) { try rejected.completing(reason: "done", at: Self.asOf) }
        let upheld = try filed.deciding(.uphold, reason: "yes", at: Self.asOf)
        let done = try upheld.completing(reason: "purged", at: Self.asOf.addingTimeInterval(1))
        #expect(done.status == .completed && done.decision?.outcome == .uphold && done.completedAt != nil)
        #expect(try Objection.replay(id: done.id, member: done.member, timeline: done.timeline) == done)
        #expect(throws: ConsentError.self) { try done.completing(reason: "again", at: Self.asOf.addingTimeInterval(2)) }
    }
}

/// Decompresses with the system's gzip.
func gunzip(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
    process.arguments = ["-dc", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
