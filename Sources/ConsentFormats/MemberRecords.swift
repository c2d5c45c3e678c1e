import ConsentCore

/// How a member's data is written down: by category, compact JSON, keys sorted.
public enum MemberRecords {
    /// `{"account.name":"Ana",...}`; values are stored JSON text.
    public static func dataJSON(_ data: [Category: String]) -> String {
        var members: [String: String] = [:]
        for (category, value) in data { members[category.rawValue] = value }
        return JSONWriter.object(members)
    }

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
        let member = record.member
        return JSONWriter.object([
            "id": JSONWriter.string(member.id.rawValue),
            "birth_date": JSONWriter.optional(member.birthDate?.description),
            "country": JSONWriter.string(member.country.description),
            "notified_at": JSONWriter.optional(member.notifiedAt.map(Timestamp.format)),
            "data": dataJSON(record.data),
        ])
    }
}
