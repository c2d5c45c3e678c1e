import ConsentCore

/// How a member's data is written down: by category, compact JSON, keys sorted.
public enum MemberRecords {
    /// `{"account.name":"Ana",...}`; values are stored JSON text.
    public static func dataJSON(_ data: [Category: String]) -> String {
        var present = data.map { (rank: byteOrderRank[$0.key.position], entry: $0) }
        present.sort { $0.rank < $1.rank }
        var writer = JSONObjectWriter(capacity: 32 * present.count + 2)
        for (_, entry) in present { writer.field(entry.key.rawValue, entry.value) }
        return writer.finish()
    }

    /// Each category's place in byte order of its name, by ``Category/position``.
    private static let byteOrderRank: [Int] = {
        var ranks = [Int](repeating: 0, count: Category.allCases.count)
        let ordered = Category.allCases.sorted { $0.rawValue.utf8.lexicographicallyPrecedes($1.rawValue.utf8) }
        for (rank, category) in ordered.enumerated() { ranks[category.position] = rank }
        return ranks
    }()

    public static func data(fromJSON text: String) -> [Category: String] {
        guard case .object(let members)? = try? JSONParser.parse(text) else { return [:] }
        var data: [Category: String] = [:]
        for (key, value) in members {
            if let category = Category(rawValue: key) { data[category] = JSONWriter.write(value) }
        }
        return data
    }

    /// The whole record canonically, for digests (the audit log stores the digest, not the data).
    public static func canonicalJSON(_ record: MemberRecord) -> String {
        canonicalJSON(record.member, dataJSON: dataJSON(record.data))
    }

    /// The same, reusing data JSON already written.
    public static func canonicalJSON(_ member: Member, dataJSON: String) -> String {
        canonicalWriter(Facts(member), dataJSON: dataJSON).finish()
    }

    /// SHA-256 (hex) of ``canonicalJSON(_:dataJSON:)``, without making the string.
    public static func canonicalDigest(_ member: Member, dataJSON: String) -> String {
        canonicalWriter(Facts(member), dataJSON: dataJSON).finishDigest()
    }

    /// SHA-256 (hex) of a member's facts alone, `{"birth_date":…,"country":…,"id":…,"notified_at":…}`:
    /// what one version of the facts is, whatever the data beside it. The log records it with
    /// each import, so every version kept in `member_versions` can be checked.
    public static func factsDigest(_ member: Member) -> String { factsDigest(Facts(member)) }

    /// Both digests of an imported member (``factsDigest(_:)``, ``canonicalDigest(_:dataJSON:)``),
    /// its facts written out once.
    public static func digests(_ member: Member, dataJSON: String) -> (facts: String, record: String) {
        let facts = Facts(member)
        return (factsDigest(facts), canonicalWriter(facts, dataJSON: dataJSON).finishDigest())
    }

    /// A member's facts as their canonical JSON writes them.
    private struct Facts {
        let birthDate: String?
        let country: String
        let id: String
        let notifiedAt: String?

        init(_ member: Member) {
            birthDate = member.birthDate?.description
            country = member.country.description
            id = member.id.rawValue
            notifiedAt = member.notifiedAt.map(Timestamp.format)
        }
    }

    private static func factsDigest(_ facts: Facts) -> String {
        var writer = JSONObjectWriter(capacity: 128)
        writer.stringField("birth_date", facts.birthDate)
        writer.stringField("country", facts.country)
        writer.stringField("id", facts.id)
        writer.stringField("notified_at", facts.notifiedAt)
        return writer.finishDigest()
    }

    private static func canonicalWriter(_ facts: Facts, dataJSON: String) -> JSONObjectWriter {
        var writer = JSONObjectWriter(capacity: 96 + dataJSON.utf8.count)
        writer.stringField("birth_date", facts.birthDate)
        writer.stringField("country", facts.country)
        writer.field("data", dataJSON)
        writer.stringField("id", facts.id)
        writer.stringField("notified_at", facts.notifiedAt)
        return writer
    }

    /// One version of a member's facts with its two instants, keys sorted:
    /// `{"birth_date":…,"country":…,"notified_at":…,"recorded_at":…,"valid_from":…}`.
    public static func versionJSON(_ version: MemberVersion) -> String {
        var writer = JSONObjectWriter(capacity: 160)
        writer.stringField("birth_date", version.member.birthDate?.description)
        writer.stringField("country", version.member.country.description)
        writer.stringField("notified_at", version.member.notifiedAt.map(Timestamp.format))
        writer.stringField("recorded_at", Timestamp.format(version.recordedAt))
        writer.stringField("valid_from", version.validFrom.map(Timestamp.format))
        return writer.finish()
    }
}
