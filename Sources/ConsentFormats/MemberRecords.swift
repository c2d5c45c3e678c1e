import ConsentCore

/// How a member's data is written down: by category, compact JSON, keys sorted.
public enum MemberRecords {
    /// `{"account.name":"Ana",...}`; values are stored JSON text.
    public static func dataJSON(_ data: [Category: String]) -> String {
        var writer = JSONObjectWriter()
        for category in categoriesInByteOrder {
            if let value = data[category] { writer.field(category.rawValue, value) }
        }
        return writer.finish()
    }

    static let categoriesInByteOrder = Category.allCases.sorted { $0.rawValue.utf8.lexicographicallyPrecedes($1.rawValue.utf8) }

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
        var writer = JSONObjectWriter(capacity: 96 + dataJSON.utf8.count)
        writer.field("birth_date", JSONWriter.optional(member.birthDate?.description))
        writer.field("country", "\"" + member.country.description + "\"")
        writer.field("data", dataJSON)
        writer.field("id", JSONWriter.string(member.id.rawValue))
        writer.field("notified_at", JSONWriter.optional(member.notifiedAt.map(Timestamp.format)))
        return writer.finish()
    }
}
