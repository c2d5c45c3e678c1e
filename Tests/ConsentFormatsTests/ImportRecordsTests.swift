import ConsentCore
import ConsentFormats
import Foundation
import Testing

struct ImportRecordsTests {
    func member(_ line: String) -> Result<MemberRecord, ConsentError> {
        var text = line
        return text.withUTF8 { ImportRecords.member($0, source: "m.jsonl", line: 7) }
    }

    func consent(_ line: String) -> Result<ConsentEvent, ConsentError> {
        var text = line
        return text.withUTF8 { ImportRecords.consent($0, source: "c.jsonl", line: 3, actor: "import") }
    }

    func message<R>(_ result: Result<R, ConsentError>) -> String? {
        if case .failure(let error) = result { return error.description }
        return nil
    }

    @Test func aFullMemberLineIsRead() throws {
        let record = try member(#"{"id": "urn:li:member:1001", "birth_date": "2001-04-12", "country": "DE", "notified_at": "2025-09-20T10:00:00Z", "data": {"account.name": "Ana Muster", "profile.skills": ["Swift", "SQL"], "account.login": {"hash": "x"}}}"#).get()
        #expect(record.member.id.rawValue == "urn:li:member:1001")
        #expect(record.member.birthDate?.description == "2001-04-12" && record.member.country.description == "DE")
        #expect(record.member.notifiedAt == Timestamp.parse("2025-09-20T10:00:00Z"))
        #expect(record.data[.accountName] == #""Ana Muster""#)
        #expect(record.data[.profileSkills] == #"["Swift","SQL"]"#)
        #expect(record.data[.accountLogin] == #"{"hash":"x"}"#, "never-allowed categories are stored too")
    }

    @Test func escapedStringsAreDecodedAndDataIsStoredCompact() throws {
        let record = try member(#"{"id": "urn:li:member:\u0031\"x", "country": "DE", "birth_date": "2001\u002d04-12", "data": {"profile.skills": [ "C\u00e9", 1 ,{ "a" : null } ]}}"#).get()
        #expect(record.member.id.rawValue == "urn:li:member:1\"x")
        #expect(record.member.birthDate?.description == "2001-04-12")
        #expect(record.data[.profileSkills] == #"["C\u00e9",1,{"a":null}]"#)
    }

    @Test func aCorrectionSaysFromWhenItsFactsHold() throws {
        #expect(try member(#"{"id": "a", "country": "DE", "valid_from": "2025-01-01"}"#).get().validFrom == Timestamp.parse("2025-01-01T00:00:00Z"))
        #expect(try member(#"{"id": "a", "country": "DE", "valid_from": null}"#).get().validFrom == nil)
        #expect(message(member(#"{"id": "a", "country": "DE", "valid_from": "soon"}"#))?.hasPrefix("m.jsonl:7: valid_from:") == true)
        #expect(message(member(#"{"id": "a", "country": "DE", "valid_from": "2025-01-01", "valid_from": null}"#))?.contains("valid_from") == true)
    }

    @Test func optionalMemberFieldsMayBeAbsentOrNull() throws {
        let record = try member(#"{"id": "a", "country": "US", "birth_date": null, "data": null}"#).get()
        #expect(record.member.birthDate == nil && record.member.notifiedAt == nil && record.data.isEmpty)
    }

    @Test(arguments: [
        (#"{"id": "a", "country": "DE""#, "m.jsonl:7: not valid JSON at byte 28: unterminated object"),
        (#"["a"]"#, "m.jsonl:7: not valid JSON at byte 1: a line must hold one JSON object"),
        (#"{"id": "a", "country": "DE", "age": 3}"#, "m.jsonl:7: age: unknown field; expected birth_date, country, data, id, notified_at, valid_from"),
        (#"{"id": "a", "country": "XX"}"#, #"m.jsonl:7: country: "XX" is not an ISO 3166-1 alpha-2 code"#),
        (#"{"id": "a"}"#, "m.jsonl:7: country: is required"),
        (#"{"country": "DE"}"#, "m.jsonl:7: id: is required"),
        (#"{"id": 12, "country": "DE"}"#, "m.jsonl:7: id: must be a string, not a number"),
        (#"{"id": "a", "country": "DE", "birth_date": "2001-02-29"}"#, #"m.jsonl:7: birth_date: "2001-02-29" is not a date YYYY-MM-DD"#),
        (#"{"id": "a", "country": "DE", "notified_at": "yesterday"}"#, #"m.jsonl:7: notified_at: "yesterday" is not an RFC 3339 instant or a date"#),
        (#"{"id": "a", "country": "DE", "data": {"profile.hobbies": 1}}"#, "m.jsonl:7: data.profile.hobbies: is not a data category of the taxonomy"),
        (#"{"id": "a", "id": "b", "country": "DE"}"#, "m.jsonl:7: id: appears twice"),
    ])
    func badMemberLinesNameFileLineAndField(_ line: String, _ expected: String) {
        #expect(message(member(line)) == expected)
    }

    @Test func aConsentLineIsRead() throws {
        let event = try consent(#"{"member": "urn:li:member:1001", "choice": "off", "at": "2025-10-01T12:00:00Z", "channel": "web"}"#).get()
        #expect(event.member.rawValue == "urn:li:member:1001" && event.choice == .off && event.channel == .web)
        #expect(event.at == Timestamp.parse("2025-10-01T12:00:00Z"))
        #expect(try consent(#"{"member": "m", "choice": "on", "at": "2025-10-01"}"#).get().channel == .import)
    }

    @Test(arguments: [
        (#"{"member": "m", "choice": "on", "at": "2025-10-01", "channel": "gpc"}"#, "c.jsonl:3: choice: a gpc choice is always off: the signal can only opt out"),
        (#"{"member": "m", "choice": "maybe", "at": "2025-10-01"}"#, #"c.jsonl:3: choice: must be "on" or "off""#),
        (#"{"member": "m", "choice": "on", "at": "2025-10-01", "channel": "fax"}"#, #"c.jsonl:3: channel: "fax" must be one of web, ios, android, api, gpc, import"#),
        (#"{"member": "m", "choice": "on"}"#, "c.jsonl:3: at: is required"),
        (#"{"member": "m", "choice": "on", "at": "2025-10-01", "by": "x"}"#, "c.jsonl:3: by: unknown field; expected at, channel, choice, member"),
    ])
    func badConsentLinesNameFileLineAndField(_ line: String, _ expected: String) {
        #expect(message(consent(line)) == expected)
    }
}
