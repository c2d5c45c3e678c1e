@testable import ConsentServer
import Foundation
import Testing

/// Base64url as tokens and session cookies carry it: the byte-by-byte coding gives what
/// Foundation's string replacements gave, for every input tried.
struct Base64URLTests {
    /// The coding as it was written before, with Foundation's string replacements: the reference.
    static func referenceEncode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func referenceDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    @Test func theCodingAgreesWithTheReferenceOnEveryInputTried() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<64 {
            for _ in 0..<20 {
                let data = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
                let encoded = WebSessions.base64URL(data)
                #expect(encoded == Self.referenceEncode(data))
                #expect(WebSessions.data(base64URL: encoded) == data)
            }
        }
        // Text that may or may not be base64: every padding, both alphabets, stray characters.
        let alphabet = Array("AQgwYZaz09-_+/=.é ")
        for length in 0..<14 {
            for _ in 0..<300 {
                let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
                #expect(WebSessions.data(base64URL: text) == Self.referenceDecode(text), "\(text)")
            }
        }
    }
}
