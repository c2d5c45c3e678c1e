import ConsentCore
import ConsentFormats
import Foundation
import Testing

/// The chain's bytes are a format: stored logs must verify with every later version.
/// The expected digests were computed independently (Python's hashlib) from the documented form.
struct AuditChainTests {
    @Test func theHashOfAnEntryFollowsTheDocumentedForm() {
        let content = AuditChain.Content(recordedAt: "2025-12-01T00:00:00Z", actor: "a", action: .choiceRecorded,
                                         subject: "m", detailsJSON: AuditChain.detailsJSON(["choice": "off"]))
        #expect(content.digest == "8ed5144feb6736ec2bcc2a20fae59fb796fb6e3cdf1596875eb1ecdb87e353a4")
        #expect(AuditChain.link(previousHash: AuditChain.genesisHash, sequence: 1, contentDigest: content.digest)
                == "33d6163f1b22fcad5394908429afec8ef078ef8cf34d2c3ba9cd7414937e188a")
        let entry = AuditChain.entry(sequence: 1, recordedAt: Timestamp.parse("2025-12-01")!, actor: "a", action: .choiceRecorded,
                                     subject: "m", details: ["choice": "off"], previousHash: AuditChain.genesisHash)
        #expect(entry.hash == "33d6163f1b22fcad5394908429afec8ef078ef8cf34d2c3ba9cd7414937e188a")
    }

    @Test func verificationNamesWhatIsWrongWithAStoredEntry() {
        let entry = AuditChain.entry(sequence: 1, recordedAt: Timestamp.parse("2025-12-01")!, actor: "a", action: .choiceRecorded,
                                     subject: "m", details: ["choice": "off"], previousHash: AuditChain.genesisHash)
        var stored = AuditChain.StoredEntry(sequence: 1, recordedAt: entry.recordedAt, actor: "a", action: "choice_recorded",
                                            subject: "m", detailsJSON: #"{"choice":"off"}"#,
                                            previousHash: AuditChain.genesisHash, hash: entry.hash)
        #expect(AuditChain.problem(with: stored, previousHash: AuditChain.genesisHash, previousSequence: 0) == nil)
        // Linked after another entry than the one before it (the log keeps no copy of that hash).
        #expect(AuditChain.problem(with: stored, previousHash: String(repeating: "f", count: 64), previousSequence: 0)?.contains("altered") == true)
        stored.detailsJSON = #"{"choice":"on"}"#
        #expect(AuditChain.problem(with: stored, previousHash: AuditChain.genesisHash, previousSequence: 0)?.contains("altered") == true)
        #expect(AuditChain.problem(with: stored, previousHash: AuditChain.genesisHash, previousSequence: 1)?.contains("deleted or reordered") == true)
    }
}
