import ConsentCore
import Testing

/// Stores read ids and country codes as bytes: the byte forms accept exactly what the string
/// forms accept, and refuse bytes that are not UTF-8 rather than repair them.
struct IdentifierTests {
    @Test(arguments: ["m1", "urn:li:member:123456789012345678", "Zoë", "名前", String(repeating: "x", count: 256),
                      "", String(repeating: "x", count: 257), "tab\there", "del\u{7F}", "c1\u{85}control", "nbsp\u{A0}ok"])
    func memberIDsFromBytesAcceptWhatStringsAccept(id: String) {
        let fromBytes = Array(id.utf8).withUnsafeBytes { MemberID(utf8: $0) }
        #expect(fromBytes == MemberID(id), "\(id.debugDescription)")
        #expect(fromBytes?.rawValue.utf8.elementsEqual(id.utf8) ?? true)
    }

    @Test(arguments: [[0xFF], [0x61, 0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] as [[UInt8]])
    func bytesThatAreNotUTF8AreNoMemberID(bytes: [UInt8]) {
        #expect(bytes.withUnsafeBytes { MemberID(utf8: $0) } == nil)
    }

    @Test(arguments: ["DE", "US", "GB", "de", "D", "DEU", "XX", "ZZ", "", "É"])
    func countryCodesFromBytesAcceptWhatStringsAccept(code: String) {
        #expect(Array(code.utf8).withUnsafeBytes { CountryCode(utf8: $0) } == CountryCode(code), "\(code)")
    }
}
