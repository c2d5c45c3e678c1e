import ConsentCore
import ConsentFormats
import Foundation

/// What every ``OutboxStore`` must do: each objection event queued with its state change,
/// nothing queued for a refused change, delivery bookkeeping, and non-members' requests whose
/// verification code travels through the outbox.
public enum OutboxContract {
    public typealias Check = @Sendable (any OutboxStore) async throws -> Void

    public static let checks: [(name: String, run: Check)] = [
        ("everyObjectionEventIsQueuedWithItsChange", everyObjectionEventIsQueuedWithItsChange),
        ("deliveriesAreRecordedAndRetriedLater", deliveriesAreRecordedAndRetriedLater),
        ("aVerifiedRequestFilesOneNonMemberObjection", aVerifiedRequestFilesOneNonMemberObjection),
        ("wrongCodesCountDurablyAndUseUpTheRequest", wrongCodesCountDurablyAndUseUpTheRequest),
        ("requestsAreLimitedByNormalisedAddressAndInTotal", requestsAreLimitedByNormalisedAddressAndInTotal),
        ("limitsHoldAgainstParallelRequests", limitsHoldAgainstParallelRequests),
        ("codesAreForgottenOnceDeliveredOrExpired", codesAreForgottenOnceDeliveredOrExpired),
        ("aMembersAddressIsToldNothingUntilVerified", aMembersAddressIsToldNothingUntilVerified),
    ]

    static let t0 = StoreContract.t0

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String, file: String = #fileID, line: Int = #line) throws {
        try StoreContract.expect(condition, message(), file: file, line: line)
    }

    static func filed(_ store: any OutboxStore) async throws -> ObjectionID {
        try await StoreContract.seed(store, members: ["a"])
        let id = ObjectionID(rawValue: "obj_1")
        try await store.fileObjection(Objection.file(id: id, member: MemberID("a")!, at: t0, reason: nil,
                                                     terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60)), actor: "a")
        return id
    }

    static func everyObjectionEventIsQueuedWithItsChange(_ store: any OutboxStore) async throws {
        let id = try await filed(store)
        var events = try await store.outbox(pendingOnly: true, limit: 100)
        try expect(events.map(\.type) == ["objection.received"] && events[0].subject == id.rawValue, "the receipt is queued: \(events.map(\.type))")
        let payload = try JSONParser.parse(events[0].payloadJSON)
        guard case .object(let fields) = payload else { throw ContractFailure(message: "payload is not an object", file: #fileID, line: #line) }
        let keys = fields.map(\.key)
        try expect(keys == ["email", "id", "language", "member", "objection", "occurred_at", "type"], "payload fields: \(keys)")
        try expect(fields.first { $0.key == "id" }?.value == .string(events[0].id), "the payload carries the idempotency id")

        // A refused transition queues nothing.
        try await StoreContract.expectThrows({ if case .illegalTransition = $0 { true } else { false } }, "deciding twice") {
            _ = try await store.updateObjection(id, actor: "privacy") { try $0.deciding(.reject, reason: "no", at: t0) }
            _ = try await store.updateObjection(id, actor: "privacy") { try $0.deciding(.reject, reason: "again", at: t0) }
        }
        events = try await store.outbox(pendingOnly: true, limit: 100)
        try expect(events.map(\.type) == ["objection.received", "objection.rejected"], "one event per accepted change: \(events.map(\.type))")
        try expect(events[0].sequence < events[1].sequence && events[0].id != events[1].id, "in order, distinct ids")
    }

    static func deliveriesAreRecordedAndRetriedLater(_ store: any OutboxStore) async throws {
        _ = try await filed(store)
        let event = try await store.outbox(pendingOnly: true, limit: 1)[0]
        try expect(try await store.deliverable(at: t0, limit: 10).map(\.id) == [event.id], "a new event is deliverable at once")
        try await store.markFailed(event.id, error: "HTTP 503", retryAt: t0.addingTimeInterval(60))
        try expect(try await store.deliverable(at: t0.addingTimeInterval(59), limit: 10).isEmpty, "not before its retry time")
        let retried = try await store.deliverable(at: t0.addingTimeInterval(60), limit: 10)
        try expect(retried.map(\.attempts) == [1] && retried.first?.lastError == "HTTP 503", "the failure is recorded")
        try await store.markDelivered(event.id, at: t0.addingTimeInterval(61))
        try expect(try await store.outbox(pendingOnly: true, limit: 10).isEmpty, "delivered events are not pending")
        let all = try await store.outbox(pendingOnly: false, limit: 10)
        try expect(all.count == 1 && all[0].attempts == 2 && all[0].deliveredAt != nil && all[0].lastError == nil, "the delivery is recorded")
        try await store.markFailed(event.id, error: "late failure", retryAt: t0)
        try expect(try await store.outbox(pendingOnly: false, limit: 10)[0].deliveredAt != nil, "a delivered event stays delivered")
    }

    static let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)

    /// A request queued with its code; the code from the outbox payload.
    static func requested(_ store: any OutboxStore, email: String = "sam@example.com") async throws -> (ObjectionRequest, String) {
        let request = try ObjectionRequest.new(email: email, identifiers: ["https://example.com/p/1", "Sam"], reason: "me", language: "de", at: t0)
        try await store.requestObjection(request, code: "12345678", perAddress: .perDay(5), total: nil)
        let event = try await store.outbox(pendingOnly: true, limit: 100).last
        try expect(event?.type == OutboxEvent.verificationType && event?.subject == request.id, "the code is queued with the request")
        try expect(event?.code == "12345678" && event?.payloadJSON.contains("12345678") == false, "the code travels beside the payload, not in it")
        try expect(event.map { OutboxPayloads.body(of: $0) }.map { $0.hasPrefix(#"{"code":"12345678","email":"#) } == true, "and joins the body delivered")
        try expect(event?.payloadJSON.contains(#""language":"de""#) == true, "the payload says which language to write in")
        return (request, "12345678")
    }

    static func aVerifiedRequestFilesOneNonMemberObjection(_ store: any OutboxStore) async throws {
        let (request, code) = try await requested(store)
        try expect(try await store.objections(status: nil).isEmpty, "nothing is filed before verification")
        let objection = try await store.verifyObjectionRequest(request.id, code: code, at: t0.addingTimeInterval(60), terms: terms, actor: "x")
        try expect(objection.member == nil && objection.contactEmail == "sam@example.com"
                   && objection.identifiers == ["https://example.com/p/1", "Sam"] && objection.memberReason == "me"
                   && objection.language == "de", "the objection carries the request, its language too")
        try expect(try await store.objection(objection.id) == objection, "and is stored as it was filed")
        try expect(try await store.objections(status: .received).map(\.id) == [objection.id], "it joins the queue")
        try expect(try await store.objectionRequest(request.id)?.objection == objection.id, "the request names its objection")
        try await StoreContract.expectThrows({ if case .verificationClosed = $0 { true } else { false } }, "verifying twice") {
            _ = try await store.verifyObjectionRequest(request.id, code: code, at: t0.addingTimeInterval(61), terms: terms, actor: "x")
        }
        try expect(try await store.objections(status: nil).count == 1, "a code files one objection")
        let snapshot = try await store.decisionSnapshot()
        try expect(snapshot.count == 0, "a non-member's objection adds nobody to decisions")
    }

    static func wrongCodesCountDurablyAndUseUpTheRequest(_ store: any OutboxStore) async throws {
        let (request, code) = try await requested(store)
        for attempt in 1...ObjectionRequest.maxAttempts {
            try await StoreContract.expectThrows({ if case .verificationFailed = $0 { true } else { false } }, "wrong code \(attempt)") {
                _ = try await store.verifyObjectionRequest(request.id, code: "00000000", at: t0.addingTimeInterval(1), terms: terms, actor: "x")
            }
            try expect(try await store.objectionRequest(request.id)?.attempts == attempt, "attempt \(attempt) is recorded")
        }
        try await StoreContract.expectThrows({ if case .verificationClosed = $0 { true } else { false } }, "the right code, after five wrong ones") {
            _ = try await store.verifyObjectionRequest(request.id, code: code, at: t0.addingTimeInterval(2), terms: terms, actor: "x")
        }
        let (fresh, freshCode) = try await requested(store, email: "kim@example.com")
        try await StoreContract.expectThrows({ if case .verificationClosed = $0 { true } else { false } }, "an expired code") {
            _ = try await store.verifyObjectionRequest(fresh.id, code: freshCode, at: fresh.expiresAt, terms: terms, actor: "x")
        }
        try await StoreContract.expectThrows({ if case .unknownObjectionRequest = $0 { true } else { false } }, "an unknown request") {
            _ = try await store.verifyObjectionRequest("req_0000000000000000", code: code, at: t0, terms: terms, actor: "x")
        }
        try expect(try await store.objections(status: nil).isEmpty, "no wrong or late code files anything")
    }

    static func request(_ store: any OutboxStore, _ email: String, at instant: Date, perAddress: RateLimit = .perDay(3),
                        total: RateLimit? = nil) async throws {
        let request = try ObjectionRequest.new(email: email, identifiers: ["Sam"], reason: nil, at: instant)
        try await store.requestObjection(request, code: ObjectionRequest.newCode(), perAddress: perAddress, total: total)
    }

    static func isRateLimited(waiting seconds: Int) -> (ConsentError) -> Bool {
        { if case .rateLimited(_, seconds) = $0 { true } else { false } }
    }

    /// Case, `+tags` and compatibility forms of one address count as that address; the limit
    /// for everyone counts every address; a refused request records nothing and sends nothing.
    static func requestsAreLimitedByNormalisedAddressAndInTotal(_ store: any OutboxStore) async throws {
        try await request(store, "sam+one@example.com", at: t0)
        try await request(store, "SAM@Example.com", at: t0.addingTimeInterval(10))
        try await request(store, "\u{FF53}am+two@example.com", at: t0.addingTimeInterval(20))
        try await StoreContract.expectThrows(isRateLimited(waiting: 86_400 - 30), "a fourth request for sam@ within a day, waiting for the first to age out") {
            try await request(store, "Sam+three@EXAMPLE.com", at: t0.addingTimeInterval(30))
        }
        try expect(try await store.outbox(pendingOnly: true, limit: 100).count == 3, "the refused request queued no code")
        try await request(store, "sam@example.com", at: t0.addingTimeInterval(86_401))
        try await request(store, "kim@example.com", at: t0.addingTimeInterval(30))

        // Everyone together: sam's at +86,401 s and the next three fill the hour.
        let total = RateLimit.perHour(4)
        for (index, email) in ["lee@example.com", "max@example.com", "ana@example.com"].enumerated() {
            try await request(store, email, at: t0.addingTimeInterval(86_410 + Double(index)), total: total)
        }
        try await StoreContract.expectThrows(isRateLimited(waiting: 86_401 + 3_600 - 86_420), "a request over the limit for everyone") {
            try await request(store, "zoe@example.com", at: t0.addingTimeInterval(86_420), total: total)
        }
    }

    /// Counted in the transaction that records: of ten requests at once for one address, and
    /// ten objections at once by one member, exactly the limit get through.
    static func limitsHoldAgainstParallelRequests(_ store: any OutboxStore) async throws {
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<10 {
                group.addTask { (try? await request(store, "pat+\(index)@example.com", at: t0.addingTimeInterval(Double(index)))) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        try expect(results.filter { $0 }.count == 3, "3 of 10 parallel requests recorded, not \(results.filter { $0 }.count)")

        try await StoreContract.seed(store, members: ["a"])
        let filed = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<10 {
                group.addTask {
                    let objection = Objection.file(id: ObjectionID(rawValue: "obj_p\(index)"), member: MemberID("a")!, at: t0.addingTimeInterval(Double(index)),
                                                   reason: nil, terms: terms)
                    return (try? await store.fileObjection(objection, actor: "a", idempotencyKey: nil, limit: .perDay(2))) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        try expect(filed.filter { $0 }.count == 2, "2 of 10 parallel objections filed, not \(filed.filter { $0 }.count)")
        try expect(try await store.objections(of: MemberID("a")!).count == 2, "and stored")
    }

    /// A delivered event keeps its payload and forgets its code; an undelivered one whose
    /// request expired is closed and forgets it too; the code can be cleared, never changed.
    static func codesAreForgottenOnceDeliveredOrExpired(_ store: any OutboxStore) async throws {
        _ = try await requested(store)
        try await request(store, "kim@example.com", at: t0.addingTimeInterval(1_800))
        let events = try await store.outbox(pendingOnly: true, limit: 10)
        try expect(events.count == 2 && events.allSatisfy { $0.code != nil }, "two codes waiting")
        try await store.markDelivered(events[0].id, at: t0.addingTimeInterval(5))
        try expect(try await store.expireCodes(at: t0.addingTimeInterval(5_400)) == 0, "nothing expires that was delivered or is still valid")
        try expect(try await store.expireCodes(at: t0.addingTimeInterval(5_401)) == 1, "the second expires once its hour is over")
        let all = try await store.outbox(pendingOnly: false, limit: 10)
        try expect(all.allSatisfy { $0.code == nil && $0.deliveredAt != nil }, "no code is left, and no event waits")
        try expect(all[1].lastError?.contains("expired") == true && all[0].lastError == nil, "the expired one says why it was not delivered")
        try expect(all.allSatisfy { !$0.payloadJSON.contains("code") }, "payloads never held the codes")
    }

    /// A member's objection with an address: its events name no address until the member types
    /// back the code sent there (which names neither the member nor the objection); wrong codes
    /// count; once verified, later events carry it, and the address needs no new code.
    static func aMembersAddressIsToldNothingUntilVerified(_ store: any OutboxStore) async throws {
        try await StoreContract.seed(store, members: ["a"])
        let member = MemberID("a")!
        let first = Objection.file(id: ObjectionID(rawValue: "obj_e1"), member: member, at: t0, reason: nil, email: "Sam@Example.com", terms: terms)
        try await store.fileObjection(first, actor: "a")
        var events = try await store.outbox(pendingOnly: true, limit: 10)
        try expect(events.map(\.type) == ["objection.received", OutboxEvent.emailVerificationType], "\(events.map(\.type))")
        try expect(!events[0].payloadJSON.contains("Example.com") && events[0].payloadJSON.hasPrefix(#"{"email":null,"#),
                   "the receipt names no address: \(events[0].payloadJSON)")
        let verification = events[1]
        let code = try unwrap(verification.code, "the code travels with the event")
        try expect(verification.payloadJSON.contains(#""email":"Sam@Example.com""#) && !verification.payloadJSON.contains(#""a""#)
                   && !verification.payloadJSON.contains("obj_e1"), "the code's message names neither the member nor the objection")

        let wrong = code == "00000000" ? "11111111" : "00000000"
        try await StoreContract.expectThrows({ if case .verificationFailed = $0 { true } else { false } }, "a wrong code") {
            _ = try await store.verifyMemberEmail(member, code: wrong, at: t0.addingTimeInterval(60))
        }
        try expect(try await store.emailVerifications(of: member).first?.attempts == 1, "the wrong code counted")
        try expect(try await store.verifyMemberEmail(member, code: code, at: t0.addingTimeInterval(120)) == "Sam@Example.com", "verified")
        try await StoreContract.expectThrows({ if case .verificationClosed = $0 { true } else { false } }, "nothing left to verify") {
            _ = try await store.verifyMemberEmail(member, code: code, at: t0.addingTimeInterval(130))
        }

        _ = try await store.updateObjection(first.id, actor: "privacy") { try $0.deciding(.reject, reason: "no", at: t0.addingTimeInterval(200)) }
        let second = Objection.file(id: ObjectionID(rawValue: "obj_e2"), member: member, at: t0.addingTimeInterval(300), reason: nil,
                                    email: "sam@example.com", terms: terms)
        try await store.fileObjection(second, actor: "a")
        events = try await store.outbox(pendingOnly: true, limit: 10)
        try expect(events.map(\.type) == ["objection.received", OutboxEvent.emailVerificationType, "objection.rejected", "objection.received"],
                   "no new code for an address verified: \(events.map(\.type))")
        try expect(events[2].payloadJSON.hasPrefix(#"{"email":"Sam@Example.com","#) && events[3].payloadJSON.hasPrefix(#"{"email":"sam@example.com","#),
                   "once verified, events carry the address")
        try expect(try await store.emailVerifications(of: MemberID("a")!).count == 1, "one verification")
    }

    static func unwrap<T>(_ value: T?, _ message: String, file: String = #fileID, line: Int = #line) throws -> T {
        guard let value else { throw ContractFailure(message: message, file: file, line: line) }
        return value
    }
}
