import ConsentCore
import ConsentFormats
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Decisions in bulk for training pipelines (role `pipeline`), always read from the durable
/// store, never from the member view: `POST /api/v1/eligibility:batch`, `GET /api/v1/exclusions`.
struct PipelineController {
    let store: any ConsentStore
    let now: @Sendable () -> Date
    /// Signs exclusion lists asked for with `?signed=true`.
    let log: LogController

    static let maximumBatch = 10_000

    func addRoutes(to group: RouterGroup<ConsentRequestContext>) {
        group.post("eligibility:batch", use: batch)
        group.get("exclusions", use: exclusions)
    }

    /// `{"as_of": "...", "members": ["id", ...]}` → the decisions at `as_of`, in the order asked,
    /// each with `usable`: whether the member's data may go into training now (eligible at
    /// `as_of` and now), and `usable_reason`, what excludes it when not.
    @Sendable func batch(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try context.require(.pipeline)
        let body = try await request.body.collect(upTo: 2 * 1024 * 1024)
        let moment = now()
        let (instant, ids) = try Self.batchRequest(body, now: moment)
        let view = try await store.decisionView(members: ids, now: moment)
        let version = try view.policy(at: instant)
        let policy = version.policy
        let lines = try ids.map { id in
            let use = try view.use(for: id, asOf: instant)
            return DecisionRecords.decisionLine(member: id, decision: use.asOf, policy: policy, use: use)
        }
        var response = JSONObjectWriter(capacity: 96 * ids.count + 160)
        response.field("as_of", jsonStringLiteral(Timestamp.format(instant)))
        response.field("decided_at", jsonStringLiteral(Timestamp.format(moment)))
        response.field("decisions", JSONWriter.array(lines))
        response.field("policy_version", jsonStringLiteral(policy.version))
        return JSONResponse.ok(response.finish())
    }

    /// The ids of the members whose data may not go into training made now as of `as_of`
    /// (default now): not eligible at `as_of`, or not now. One per line, sorted, streamed.
    @Sendable func exclusions(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try context.require(.pipeline)
        let moment = now()
        var instant = moment
        if let text = request.uri.queryParameters.get("as_of") {
            guard let parsed = Timestamp.parse(text) else {
                throw Problem.invalid(nil, "query as_of: \(jsonStringLiteral(String(text))) is not an RFC 3339 instant or a date")
            }
            instant = parsed
        }
        let signed = try request.flag("signed")
        let minors = try request.flag("minors_in_window")
        if minors, signed {
            throw Problem(status: .unprocessableContent, type: "unsupported-combination", title: "These query parameters cannot be combined",
                          detail: "minors_in_window=true makes a plain list; a signed list cannot say it lists the minors of the window yet (sign a snapshot instead)")
        }
        // Loaded and decided before the first byte is sent, so a store failure is still a 503 problem.
        let view = try await store.decisionView(now: moment)
        let version = try view.policy(at: instant)
        let excluded = try view.unusableMembers(asOf: instant, minorsInWindow: minors)
        let header = minors ? try MinorsInWindow.headerLines(view, asOf: instant, objections: try await store.objections(status: nil)) : []
        if signed {
            guard let signer = log.signer else { return LogController.noKey.response() }
            let (size, root) = try await log.tree.refresh()
            let text = try SignedExclusions.text(ids: excluded.map(\.rawValue), asOf: instant, decidedAt: view.moment,
                                                 log: signer.checkpoint(size: size, root: root), signer: signer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[HTTPField.Name("X-Consentry-As-Of")!] = Timestamp.format(instant)
        headers[HTTPField.Name("X-Consentry-Decided-At")!] = Timestamp.format(moment)
        headers[HTTPField.Name("X-Consentry-Policy-Version")!] = version.policy.version
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(1 << 16)
            for line in header {
                buffer.writeString(line)
                buffer.writeInteger(UInt8(ascii: "\n"))
            }
            for id in excluded {
                buffer.writeString(id.rawValue)
                buffer.writeInteger(UInt8(ascii: "\n"))
                if buffer.readableBytes >= 1 << 16 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
            try await writer.finish(nil)
        })
    }

    static func batchRequest(_ body: ByteBuffer, now: Date) throws -> (Date, [MemberID]) {
        let asked = try BatchRequest.decode(from: body)
        var instant = now
        if let text = asked.asOf {
            guard let parsed = Timestamp.parse(text) else { throw Problem.invalid("/as_of", "must be an RFC 3339 instant or a date") }
            instant = parsed
        }
        guard asked.members.count <= maximumBatch else {
            throw Problem.invalid("/members", "holds \(asked.members.count) ids; at most \(maximumBatch) per request")
        }
        let ids = try asked.members.enumerated().map { index, text in
            guard let id = MemberID(text) else { throw Problem.invalid("/members/\(index)", "must be a member id: a string of 1 to 256 bytes") }
            return id
        }
        return (instant, ids)
    }

    /// `{"as_of"?, "members": ["id", …]}`.
    struct BatchRequest: RequestBody {
        let asOf: String?
        let members: [String]
        enum CodingKeys: String, CodingKey, CaseIterable {
            case members
            case asOf = "as_of"
        }
        static let example = #"{"members": ["id"]}"#
    }
}
