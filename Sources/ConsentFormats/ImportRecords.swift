import ConsentCore
import Foundation

/// The JSON Lines formats of `consentry import members` and `consentry import consents`.
public enum ImportRecords {
    /// `{"id": "...", "birth_date": "2001-04-12", "country": "DE", "notified_at": "...", "data": {...}}`
    public static func member(_ bytes: UnsafeBufferPointer<UInt8>, source: String, line: Int) -> Result<MemberRecord, ConsentError> {
        Result { () throws(ConsentError) -> MemberRecord in
            var fields = try object(bytes, source: source, line: line,
                                    known: ["id", "birth_date", "country", "notified_at", "data"])
            func fail(_ field: String, _ message: String) -> ConsentError {
                .invalidRecord(source: source, line: line, field: field, message: message)
            }
            let id = try memberID(fields.removeValue(forKey: "id"), field: "id", fail)
            guard case .string(let countryText)? = fields["country"]?.value else {
                throw fail("country", fields["country"] == nil ? "is required" : "must be a string such as \"DE\"")
            }
            guard let country = CountryCode(countryText) else {
                throw fail("country", "\(JSONWriter.string(countryText)) is not an ISO 3166-1 alpha-2 code")
            }
            var birthDate: CivilDate?
            switch fields["birth_date"]?.value {
            case nil, .null?: break
            case .string(let text)?:
                guard let date = CivilDate(parsing: text) else { throw fail("birth_date", "\(JSONWriter.string(text)) is not a date YYYY-MM-DD") }
                birthDate = date
            case let other?: throw fail("birth_date", "must be a date string or null, not \(other.kindName)")
            }
            let notifiedAt = try instant(fields["notified_at"]?.value, field: "notified_at", required: false, fail)
            var data: [Category: String] = [:]
            switch fields["data"]?.value {
            case nil, .null?: break
            case .object(let members)?:
                for (key, value) in members {
                    guard let category = Category(rawValue: key) else {
                        throw fail("data.\(key)", "is not a data category of the taxonomy")
                    }
                    guard data[category] == nil else { throw fail("data.\(key)", "appears twice") }
                    data[category] = JSONWriter.write(value)
                }
            case let other?: throw fail("data", "must be an object of categories, not \(other.kindName)")
            }
            return MemberRecord(member: Member(id: id, birthDate: birthDate, country: country, notifiedAt: notifiedAt), data: data)
        }
    }

    /// `{"member": "...", "choice": "off", "at": "2025-10-01T12:00:00Z", "channel": "web"}`
    public static func consent(_ bytes: UnsafeBufferPointer<UInt8>, source: String, line: Int, actor: String) -> Result<ConsentEvent, ConsentError> {
        Result { () throws(ConsentError) -> ConsentEvent in
            let fields = try object(bytes, source: source, line: line, known: ["member", "choice", "at", "channel"])
            func fail(_ field: String, _ message: String) -> ConsentError {
                .invalidRecord(source: source, line: line, field: field, message: message)
            }
            let member = try memberID(fields["member"], field: "member", fail)
            guard case .string(let choiceText)? = fields["choice"]?.value, let choice = Choice(rawValue: choiceText) else {
                throw fail("choice", fields["choice"] == nil ? "is required" : "must be \"on\" or \"off\"")
            }
            let at = try instant(fields["at"]?.value, field: "at", required: true, fail)!
            var channel = Channel.import
            switch fields["channel"]?.value {
            case nil: break
            case .string(let text)?:
                guard let parsed = Channel(rawValue: text) else {
                    throw fail("channel", "\(JSONWriter.string(text)) must be one of \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                channel = parsed
            case let other?: throw fail("channel", "must be a string, not \(other.kindName)")
            }
            if channel == .gpc && choice == .on {
                throw fail("choice", "a gpc choice is always off: the signal can only opt out")
            }
            return ConsentEvent(member: member, choice: choice, channel: channel, at: at, actor: actor)
        }
    }

    private static func object(_ bytes: UnsafeBufferPointer<UInt8>, source: String, line: Int,
                               known: Set<String>) throws(ConsentError) -> [String: (value: JSONValue, raw: String)] {
        let members: [(key: String, value: JSONValue, rawText: String)]
        do {
            members = try JSONParser.parseObjectMembers(bytes)
        } catch {
            throw .invalidRecord(source: source, line: line, field: "", message: error.description)
        }
        var fields: [String: (value: JSONValue, raw: String)] = [:]
        for member in members {
            guard known.contains(member.key) else {
                throw .invalidRecord(source: source, line: line, field: member.key,
                                     message: "unknown field; expected \(known.sorted().joined(separator: ", "))")
            }
            guard fields[member.key] == nil else {
                throw .invalidRecord(source: source, line: line, field: member.key, message: "appears twice")
            }
            fields[member.key] = (member.value, member.rawText)
        }
        return fields
    }

    private static func memberID(_ field: (value: JSONValue, raw: String)?, field name: String,
                                 _ fail: (String, String) -> ConsentError) throws(ConsentError) -> MemberID {
        guard let field else { throw fail(name, "is required") }
        guard case .string(let text) = field.value else { throw fail(name, "must be a string, not \(field.value.kindName)") }
        guard let id = MemberID(text) else { throw fail(name, "must be 1 to 256 bytes without control characters") }
        return id
    }

    private static func instant(_ value: JSONValue?, field: String, required: Bool,
                                _ fail: (String, String) -> ConsentError) throws(ConsentError) -> Date? {
        switch value {
        case nil, .null?:
            if required { throw fail(field, "is required") }
            return nil
        case .string(let text)?:
            guard let date = Timestamp.parse(text) else { throw fail(field, "\(JSONWriter.string(text)) is not an RFC 3339 instant or a date") }
            return date
        case let other?:
            throw fail(field, "must be an RFC 3339 string, not \(other.kindName)")
        }
    }
}
