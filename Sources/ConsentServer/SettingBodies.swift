import ConsentCore
import ConsentFormats
import Foundation

// The bodies of the member's setting routes (`/api/v1/me/ai-training…`), as `/openapi.yaml`
// describes them.

/// `PUT /api/v1/me/ai-training`: `{"enabled": true|false}` and nothing else.
struct SettingChange: RequestBody {
    let enabled: Bool
    enum CodingKeys: String, CodingKey, CaseIterable { case enabled }
    static let example = #"{"enabled": false}"#

    /// `{"enabled": true}` or `false`: every PUT of the setting sends it, and `JSONDecoder`'s
    /// generic containers cost more than the rest of reading the request.
    static func quickly(_ body: JSONValue) -> SettingChange? {
        guard case .object(let fields) = body, fields.count == 1, fields[0].key == "enabled", case .bool(let enabled) = fields[0].value else { return nil }
        return SettingChange(enabled: enabled)
    }
}

/// One of the member's choices: `{"at", "channel", "enabled", "recorded_at", "sequence"}`.
struct HistoryItem: Encodable, Sendable {
    let at: Date
    let channel: String
    let enabled: Bool
    @Nullable var recordedAt: Date?
    @Nullable var sequence: Int64?

    init(_ event: ConsentEvent) {
        at = event.at
        channel = event.channel.rawValue
        enabled = event.choice == .on
        recordedAt = event.recordedAt
        sequence = event.sequence
    }

    enum CodingKeys: String, CodingKey {
        case at, channel, enabled, sequence
        case recordedAt = "recorded_at"
    }
}

/// A page of the member's choices, newest first, and the cursor of the next page (null on the last).
struct HistoryPage: Encodable, Sendable {
    let items: [HistoryItem]
    @Nullable var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }
}
