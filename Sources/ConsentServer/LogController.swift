import ConsentCore
import ConsentFormats
import Foundation
import HTTPTypes
import Hummingbird

/// The transparency log over HTTP, for witnesses and auditors (no sign-in: it holds digests only):
/// - `GET /log/v1/checkpoint`: the signed checkpoint of the log as it is now (a C2SP signed note);
/// - `GET /log/v1/proof/consistency?first=N&second=M`: the RFC 9162 consistency proof between the
///   trees of sizes N and M, `{"first", "second", "proof": [base64, …]}`.
///
/// Without a log key (`CONSENTRY_LOG_KEY` or `CONSENTRY_LOG_KEY_FILE`) both answer 503.
struct LogController {
    let store: any ConsentStore
    let signer: LogSigner?

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("log/v1/checkpoint", use: checkpoint)
        router.get("log/v1/proof/consistency", use: consistency)
    }

    static let noKey = Problem(status: .serviceUnavailable, type: "no-log-key", title: "The log has no signing key",
                               detail: "Set CONSENTRY_LOG_KEY (or CONSENTRY_LOG_KEY_FILE) to a key made by `consentry log init`.")

    @Sendable func checkpoint(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let signer else { return Self.noKey.response() }
        let note = try signer.checkpoint(of: try await store.logLeafHashes())
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: note)))
    }

    @Sendable func consistency(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard signer != nil else { return Self.noKey.response() }
        func size(_ name: String) throws -> Int {
            guard let text = request.uri.queryParameters.get(name), let value = Int(text), value >= 0 else {
                throw Problem.invalid(nil, "query \(name): a tree size (a whole number, 0 or more) is required")
            }
            return value
        }
        let (first, second) = (try size("first"), try size("second"))
        let leaves = try await store.logLeafHashes()
        guard first <= second, second <= leaves.count else {
            throw Problem.invalid(nil, "query first=\(first), second=\(second): need first ≤ second ≤ the log's size, \(leaves.count)")
        }
        let proof = MerkleTree.consistencyProof(first: first, leaves: leaves[..<second])
        return JSONResponse.ok(ConsistencyProofJSON.encode(first: first, second: second, proof: proof))
    }
}
