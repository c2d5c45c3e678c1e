import ConsentServer
import Foundation
import HummingbirdTesting
import OpenAPIKit
import Testing
import Yams

/// The API document is valid OpenAPI 3.1 as a library that models the whole specification reads
/// it: it decodes into OpenAPIKit's types, passes its validations, and every `$ref` resolves.
/// (`scripts/test` also runs `openapi-spec-validator` against the official JSON Schema.)
struct OpenAPIValidationTests {
    func served() async throws -> String {
        let harness = try await Harness()
        return try await harness.app.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { String(buffer: $0.body) }
        }
    }

    func validate(_ text: String) throws {
        let document = try YAMLDecoder().decode(OpenAPI.Document.self, from: text)
        try document.validate()
        _ = try document.locallyDereferenced()
    }

    @Test func theServedDocumentIsValidAndEveryReferenceResolves() async throws {
        let text = try await served()
        do {
            try validate(text)
        } catch {
            Issue.record("\(OpenAPI.Error(from: error).localizedDescription)")
        }
        let document = try YAMLDecoder().decode(OpenAPI.Document.self, from: text)
        #expect(document.paths.count >= 30, "every route is documented")
    }

    @Test func aReferenceToNothingIsCaught() async throws {
        let text = try await served()
        let broken = text.replacingOccurrences(of: "#/components/schemas/SettingChange\"", with: "#/components/schemas/NoSuchSchema\"")
        #expect(broken != text, "the document refers to SettingChange")
        #expect(throws: (any Error).self) { try validate(broken) }
    }
}
