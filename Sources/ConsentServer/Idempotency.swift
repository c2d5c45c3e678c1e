import ConsentCore
import ConsentFormats
import HTTPTypes
import Hummingbird

extension MemberStates {
    /// Runs `work` once per `Idempotency-Key` header value within `scope` (the member and the
    /// operation). The key goes to the store with the write, so a retry on any instance records
    /// nothing new; a retry arriving here while the first is still running waits for its answer.
    /// Without the header, `work` simply runs (with no key).
    func idempotent(_ request: Request, scope: String,
                    _ work: @escaping @Sendable (IdempotencyKey?) async throws -> StoredResponse) async throws -> StoredResponse {
        guard let header = request.headers[HTTPField.Name("Idempotency-Key")!], !header.isEmpty else { return try await work(nil) }
        guard header.utf8.count <= 255 else { throw Problem.invalid(nil, "header Idempotency-Key: at most 255 characters") }
        let key = IdempotencyKey(scope: scope, clientKey: header)
        return try await once(key: key.digest) { try await work(key) }
    }
}
