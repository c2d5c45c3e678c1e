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
/// and, for a signed-in member, receipts of their own facts (another's is 404, like one that
/// does not exist):
/// - `GET /api/v1/me/ai-training/receipts/{sequence}`: the receipt of one of their choices;
/// - `GET /api/v1/me/objections/{id}/receipt`: the receipt of their objection's latest step.
///
/// Without a log key (`CONSENTRY_LOG_KEY` or `CONSENTRY_LOG_KEY_FILE`) they answer 503.
struct LogController {
    let store: any ConsentStore
    let signer: LogSigner?

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("log/v1/checkpoint", use: checkpoint)
        router.get("log/v1/proof/consistency", use: consistency)
    }

    func addMemberRoutes(to me: RouterGroup<ConsentRequestContext>) {
        me.get("ai-training/receipts/:sequence", use: choiceReceipt)
        me.get("objections/:id/receipt", use: objectionReceipt)
    }

    @Sendable func choiceReceipt(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        guard let signer else { return Self.noKey.response() }
        guard let sequence = context.parameters.get("sequence").flatMap(Int64.init),
              try await store.facts(of: member)?.choices.contains(where: { $0.sequence == sequence }) == true,
              let logged = try await store.logSequence(ofChoice: sequence) else { throw Problem.notFound }
        return try await receipt(of: logged, signer: signer)
    }

    @Sendable func objectionReceipt(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        guard let signer else { return Self.noKey.response() }
        guard let id = context.parameters.get("id").map(ObjectionID.init(rawValue:)),
              let objection = try await store.objection(id), objection.member == member,
              let logged = try await store.logSequences(ofObjection: id).last else { throw Problem.notFound }
        return try await receipt(of: logged, signer: signer)
    }

    private func receipt(of sequence: Int64, signer: LogSigner) async throws -> Response {
        let (leaves, entries) = try await store.logLeaves(capturing: [sequence])
        guard let entry = entries[sequence] else { throw Problem.notFound }
        var response = JSONResponse.ok(try Receipt.json(for: entry, leaves: leaves, signer: signer))
        response.headers[.contentDisposition] = "attachment; filename=\"consentry-receipt-\(sequence).json\""
        response.headers[.cacheControl] = "no-store"
        return response
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
