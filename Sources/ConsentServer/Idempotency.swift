import HTTPTypes
import Hummingbird

extension MemberStates {
    /// Runs `work` once per `Idempotency-Key` header value within `scope` (the member and the
    /// operation): a retry gets the first response and changes nothing. Without the header,
    /// `work` simply runs.
    func idempotent(_ request: Request, scope: String,
                    _ work: @escaping @Sendable () async throws -> StoredResponse) async throws -> StoredResponse {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!], !key.isEmpty else { return try await work() }
        guard key.utf8.count <= 255 else { throw Problem.invalid(nil, "header Idempotency-Key: at most 255 characters") }
        return try await once(key: scope + "\u{0}" + key, work)
    }
}
