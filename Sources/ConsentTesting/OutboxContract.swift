import ConsentCore
import ConsentFormats
import Foundation

/// What every ``OutboxStore`` must do: each objection event queued with its state change,
/// nothing queued for a refused change, and delivery bookkeeping.
public enum OutboxContract {
    public typealias Check = @Sendable (any OutboxStore) async throws -> Void

    public static let checks: [(name: String, run: Check)] = [
        ("everyObjectionEventIsQueuedWithItsChange", everyObjectionEventIsQueuedWithItsChange),
        ("deliveriesAreRecordedAndRetriedLater", deliveriesAreRecordedAndRetriedLater),
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
        try expect(keys == ["id", "member", "objection", "occurred_at", "type"], "payload fields: \(keys)")
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
}
