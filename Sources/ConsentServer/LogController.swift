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
    let tree: LogTreeCache

    init(store: any ConsentStore, signer: LogSigner?) {
        self.store = store
        self.signer = signer
        tree = LogTreeCache(store: store)
    }

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("log/v1/checkpoint", use: checkpoint)
        router.get("log/v1/proof/consistency", use: consistency)
    }

    func addMemberRoutes(to me: RouterGroup<ConsentRequestContext>) {
        me.get("ai-training/receipts/:sequence", use: choiceReceipt)
        me.get("objections/:id/receipt", use: objectionReceipt)
    }

    /// The same receipts for a member signed in on the pages (a session cookie), as downloads.
    func addPageRoutes(to router: Router<ConsentRequestContext>, web: WebPages) {
        router.get("settings/data-privacy/generative-ai/receipts/:sequence") { request, context in
            guard let (_, member) = try await web.member(request) else { return web.signInFirst(request) }
            return try await choiceReceipt(member: member, sequence: context.parameters.get("sequence"))
        }
        router.get("settings/data-privacy/objections/:id/receipt") { request, context in
            guard let (_, member) = try await web.member(request) else { return web.signInFirst(request) }
            return try await objectionReceipt(member: member, id: context.parameters.get("id"))
        }
    }

    @Sendable func choiceReceipt(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try await choiceReceipt(member: try context.requireMember(), sequence: context.parameters.get("sequence"))
    }

    @Sendable func objectionReceipt(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try await objectionReceipt(member: try context.requireMember(), id: context.parameters.get("id"))
    }

    /// The receipt of `member`'s choice `sequence`; 404 for anyone else's or none.
    func choiceReceipt(member: MemberID, sequence text: String?) async throws -> Response {
        guard let signer else { return Self.noKey.response() }
        guard let sequence = text.flatMap(Int64.init),
              try await store.facts(of: member)?.choices.contains(where: { $0.sequence == sequence }) == true,
              let logged = try await store.logSequence(ofChoice: sequence) else { throw Problem.notFound }
        return try await receipt(of: logged, signer: signer)
    }

    /// The receipt of the latest step of `member`'s objection `id`; 404 for anyone else's or none.
    func objectionReceipt(member: MemberID, id text: String?) async throws -> Response {
        guard let signer else { return Self.noKey.response() }
        guard let id = text.map(ObjectionID.init(rawValue:)),
              let objection = try await store.objection(id), objection.member == member,
              let logged = try await store.logSequences(ofObjection: id).last else { throw Problem.notFound }
        return try await receipt(of: logged, signer: signer)
    }

    private func receipt(of sequence: Int64, signer: LogSigner) async throws -> Response {
        _ = try await tree.refresh()
        var found: AuditEntry?
        try await store.auditEntries(after: sequence - 1, limit: 1) { found = $0 }
        guard let entry = found, entry.sequence == sequence, let (proof, size, root) = await tree.inclusionProof(index: Int(sequence - 1)) else {
            throw Problem.notFound
        }
        var response = JSONResponse.ok(try Receipt.json(for: entry, proof: proof, in: signer.checkpoint(size: size, root: root), signer: signer))
        response.headers[.contentDisposition] = "attachment; filename=\"consentry-receipt-\(sequence).json\""
        return response
    }

    static let noKey = Problem(status: .serviceUnavailable, type: "no-log-key", title: "The log has no signing key",
                               detail: "Set CONSENTRY_LOG_KEY (or CONSENTRY_LOG_KEY_FILE) to a key made by `consentry log init`.")

    @Sendable func checkpoint(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let signer else { return Self.noKey.response() }
        let (size, root) = try await tree.refresh()
        let note = try signer.sign(signer.checkpoint(size: size, root: root))
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
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
        let (size, _) = try await tree.refresh()
        guard let proof = await tree.consistencyProof(first: first, second: second) else {
            // Well-formed, but there is no such pair of trees: nothing at this address.
            return Problem(status: .notFound, type: "not-found", title: "No such proof",
                           detail: "first=\(first), second=\(second): a proof needs first ≤ second ≤ the log's size, \(size)").response()
        }
        return JSONResponse.ok(ConsistencyProofJSON.encode(first: first, second: second, proof: proof))
    }
}
