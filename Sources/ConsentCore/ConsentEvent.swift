import Foundation

/// The value of the "Data for Generative AI Improvement" setting.
public enum Choice: String, Sendable, CaseIterable {
    case on
    case off
}

/// Where a choice was made.
public enum Channel: String, Sendable, CaseIterable {
    case web, ios, android, api
    /// The browser's Global Privacy Control signal; it can only switch the setting off.
    case gpc
    /// Loaded from the platform's records by `consentry import consents`.
    case `import`
}

/// One entry of the append-only consent ledger.
public struct ConsentEvent: Sendable, Equatable {
    public var member: MemberID
    public var choice: Choice
    public var channel: Channel
    /// When the member made the choice.
    public var at: Date
    /// Who recorded it: the member, a tool, an importer (`import:consents.jsonl`).
    public var actor: String
    /// Position in the ledger, assigned by the store; later-appended wins on equal `at`.
    public var sequence: Int64?
    /// When the store appended it.
    public var recordedAt: Date?

    public init(member: MemberID, choice: Choice, channel: Channel, at: Date, actor: String,
                sequence: Int64? = nil, recordedAt: Date? = nil) {
        self.member = member
        self.choice = choice
        self.channel = channel
        self.at = at
        self.actor = actor
        self.sequence = sequence
        self.recordedAt = recordedAt
    }

    /// Throws when the event breaks a ledger rule: a gpc signal can only switch the setting off.
    public func validate() throws {
        if channel == .gpc && choice == .on {
            throw ConsentError.invalidField(field: "choice", message: "a gpc choice is always off: the signal can only opt out")
        }
    }
}

/// A member's choices in ledger order, reduced to what decisions read.
///
/// Entries are plain values (no references), so deciding from a history never retains or
/// allocates; a history can be a slice of one large array shared by many members.
public struct ConsentHistory: Sendable {
    public struct Entry: Sendable, Equatable {
        public var at: Date
        public var choice: Choice
        public var channel: Channel

        public init(at: Date, choice: Choice, channel: Channel) {
            self.at = at
            self.choice = choice
            self.channel = channel
        }
    }

    /// Sorted by time; for equal times, in append order.
    public var entries: ArraySlice<Entry>

    public static let empty = ConsentHistory(sortedEntries: [])

    /// A history from entries already in (time, append) order.
    public init(sortedEntries: ArraySlice<Entry>) { entries = sortedEntries }

    /// A history from events in append order (any time order).
    public init(_ events: [ConsentEvent]) {
        let ordered = events.enumerated().sorted { a, b in
            a.element.at != b.element.at ? a.element.at < b.element.at
                : (a.element.sequence ?? Int64(a.offset)) < (b.element.sequence ?? Int64(b.offset))
        }
        entries = ArraySlice(ordered.map { Entry(at: $0.element.at, choice: $0.element.choice, channel: $0.element.channel) })
    }

    /// Adds the most recently appended event at its place: after every entry at or before its
    /// time (it was appended last, so it wins ties). Choices are almost always made in time
    /// order: this is then an append.
    public mutating func append(_ event: ConsentEvent) {
        var index = entries.endIndex
        while index > entries.startIndex, entries[index - 1].at > event.at { index -= 1 }
        entries.insert(Entry(at: event.at, choice: event.choice, channel: event.channel), at: index)
    }

    /// The choice in force at `instant`: the latest at or before it, skipping gpc signals when
    /// they are not honoured.
    @inlinable public func latest(at instant: Date, honoringGPC: Bool) -> Entry? {
        var index = entries.endIndex
        while index > entries.startIndex {
            index -= 1
            let entry = entries[index]
            if entry.at > instant { continue }
            if entry.channel == .gpc && !honoringGPC { continue }
            return entry
        }
        return nil
    }
}

/// The ways a choice enters Consentry, and the channels each may record: a member's app or
/// script says which app it is, the settings page is always `web`, and only the browser's
/// signal is `gpc`.
public enum ChoiceEntry: Sendable {
    /// `PUT /api/v1/me/ai-training`: the mobile apps and the member's own API clients.
    case memberAPI
    /// The settings page's form.
    case settingsPage
    /// The browser's Global Privacy Control header.
    case browserSignal

    /// The channels this entry records, the first being the default.
    public var channels: [Channel] {
        switch self {
        case .memberAPI: [.api, .ios, .android]
        case .settingsPage: [.web]
        case .browserSignal: [.gpc]
        }
    }

    /// The channel `name` names (the default when nil), or an error listing the accepted ones.
    public func channel(named name: String?) throws -> Channel {
        guard let name else { return channels[0] }
        guard let channel = Channel(rawValue: name), channels.contains(channel) else {
            throw ConsentError.invalidField(field: "channel",
                                            message: "\(jsonStringLiteral(name)) must be \(channels.map(\.rawValue).joined(separator: ", ", last: " or "))")
        }
        return channel
    }
}

extension Array where Element == String {
    /// "a, b or c".
    func joined(separator: String, last: String) -> String {
        count <= 1 ? joined() : dropLast().joined(separator: separator) + last + self[count - 1]
    }
}
