import ConsentCore
import ConsentFormats
import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

/// The OpenAPI document served at /openapi.yaml stays true: every documented route answers,
/// and real responses have exactly the fields their schemas require.
struct OpenAPITests {
    func document(_ harness: Harness) async throws -> [String: Any] {
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.headers[.contentType] == "application/yaml")
                return try #require(try Yams.load(yaml: String(buffer: response.body)) as? [String: Any])
            }
        }
    }

    func schema(_ document: [String: Any], _ name: String) throws -> [String: Any] {
        let components = try #require(document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        return try #require(schemas[name] as? [String: Any])
    }

    func requiredKeys(_ schema: [String: Any]) -> Set<String> { Set(schema["required"] as? [String] ?? []) }

    func keys(_ buffer: ByteBuffer) throws -> Set<String> { Set(try object(buffer).keys) }

    @Test func everyDocumentedOperationIsServed() async throws {
        let harness = try await Harness()
        let document = try await document(harness)
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        #expect(paths.count >= 9)
        let operations = paths.flatMap { path, methods in methods.keys.map { (path, $0) } }
        #expect(operations.count >= 10)
        let member = try await harness.token("urn:li:member:eu")
        let pipeline = try await harness.token("etl", role: .pipeline)
        try await harness.app.test(.router) { client in
            for (path, method) in operations {
                let token = path.contains("eligibility") || path.contains("exclusions") ? pipeline : member
                let body: ByteBuffer? = method == "put" ? ByteBuffer(string: #"{"enabled": true}"#)
                    : method == "post" ? ByteBuffer(string: #"{"members": []}"#) : nil
                try await client.execute(uri: path, method: HTTPRequest.Method(rawValue: method.uppercased())!,
                                         headers: headers(token), body: body) { response in
                    #expect(response.status.code < 300, "\(method.uppercased()) \(path) answered \(response.status)")
                }
            }
        }
    }

    @Test func responsesCarryExactlyTheDocumentedFields() async throws {
        let harness = try await Harness()
        let document = try await document(harness)
        let setting = requiredKeys(try schema(document, "Setting"))
        let page = requiredKeys(try schema(document, "HistoryPage"))
        let itemSchema = try #require((try schema(document, "HistoryPage")["properties"] as? [String: Any])?["items"] as? [String: Any])
        let item = requiredKeys(try #require(itemSchema["items"] as? [String: Any]))
        let batch = requiredKeys(try schema(document, "BatchResponse"))
        let problem = requiredKeys(try schema(document, "Problem"))
        let member = try await harness.token("urn:li:member:eu")
        let pipeline = try await harness.token("etl", role: .pipeline)
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: headers(member),
                                     body: ByteBuffer(string: #"{"enabled": false}"#)) { response in
                let fields = try keys(response.body)
                #expect(fields == setting)
            }
            try await client.execute(uri: "/api/v1/me/ai-training/history", method: .get, headers: headers(member)) { response in
                let fields = try keys(response.body)
                #expect(fields == page)
                guard case .array(let items)? = try object(response.body)["items"], case .object(let first)? = items.first else {
                    Issue.record("no history item")
                    return
                }
                #expect(Set(first.map(\.key)) == item)
            }
            try await client.execute(uri: "/api/v1/eligibility:batch", method: .post, headers: headers(pipeline),
                                     body: ByteBuffer(string: #"{"members": ["urn:li:member:eu"]}"#)) { response in
                let fields = try keys(response.body)
                #expect(fields == batch)
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get) { response in
                let fields = try keys(response.body)
                #expect(problem.isSubset(of: fields))
            }
        }
    }

    @Test func everyReasonCodeIsDocumented() async throws {
        let harness = try await Harness()
        let reasons = try schema(try await document(harness), "Reason")["enum"] as? [String]
        #expect(reasons == Reason.allCases.map(\.rawValue))
    }
}
