import ConsentCore
import ConsentFormats
import HTTPTypes
import Hummingbird

extension IdempotencyKey {
    /// The request's `Idempotency-Key` header within `scope` (the member and the operation), or
    /// nil without one. The store keeps it with the write it protects, so a retry on any
    /// instance, even one racing the first attempt, records nothing new.
    /// `content` is what the request asks for (the same for the same request, whatever its
    /// spacing): a retry must ask for the same, or it is refused with 422.
    static func from(_ request: Request, scope: String, content: String) throws -> IdempotencyKey? {
        guard let header = request.headers[HTTPField.Name("Idempotency-Key")!], !header.isEmpty else { return nil }
        guard header.utf8.count <= 255 else { throw Problem.invalid(nil, "header Idempotency-Key: at most 255 characters") }
        return IdempotencyKey(scope: scope, clientKey: header, request: content)
    }
}
