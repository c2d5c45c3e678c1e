import ConsentCore
import ConsentFormats
import Foundation

/// The message each outbox event asks the platform's mailer to send, in the language the
/// person objected in: `"message": {"subject", "text"}` in the delivered body, beside the
/// payload's facts (so a mailer may also write its own). The texts are the catalogs' `mail.*`
/// keys; what the privacy team typed (an extension's or a decision's reason) is quoted as typed.
///
/// The message is written when the event is delivered, not stored: the payload kept in the
/// outbox stays the record of what happened, and a code appears only while the event carries it.
public enum OutboxMessages {
    /// The body to deliver for `event` (and to show in `objections outbox list`).
    public static func body(of event: OutboxEvent) -> String {
        OutboxPayloads.body(of: event, message: message(for: event))
    }

    /// The subject and text for `event`, or nil when there is nothing to send (a code event
    /// whose code was delivered or expired, an unknown type, an unreadable payload).
    public static func message(for event: OutboxEvent) -> (subject: String, text: String)? {
        guard case .object(let fields)? = try? JSONParser.parse(event.payloadJSON) else { return nil }
        let catalog = string("language", in: fields).flatMap(Catalog.named) ?? .english
        let occurred = string("occurred_at", in: fields).flatMap(Timestamp.parse)
        let objection: [(key: String, value: JSONValue)] = if case .object(let inner)? = value("objection", in: fields) { inner } else { [] }
        let id = string("id", in: objection) ?? event.subject
        func date(_ key: String) -> String { string(key, in: objection).flatMap(Timestamp.parse).map(catalog.longDate) ?? "" }
        let on = occurred.map(catalog.longDate) ?? ""

        let key: String
        var values: [String: String] = ["id": id, "date": on]
        switch event.type {
        case "objection.received":
            key = "received"
            values["due"] = date("due")
        case "objection.extended":
            key = "extended"
            values["due"] = date("extended_due")
            values["reason"] = extensionReason(in: objection) ?? ""
        case "objection.upheld", "objection.rejected":
            key = event.type == "objection.upheld" ? "upheld" : "rejected"
            values["reason"] = string("decision_reason", in: objection) ?? ""
        case "objection.completed":
            key = "completed"
        case OutboxEvent.verificationType, OutboxEvent.emailVerificationType:
            guard let code = event.code else { return nil }
            key = event.type == OutboxEvent.verificationType ? "code" : "email_code"
            values["code"] = code
            values["expires"] = string("expires_at", in: fields).flatMap(Timestamp.parse).map(catalog.dateTime) ?? ""
        default:
            return nil
        }
        let text = catalog.text("mail.\(key).text", values) + "\n\n" + catalog.text("mail.signature")
        return (catalog.text("mail.\(key).subject", values), text)
    }

    private static func value(_ key: String, in fields: [(key: String, value: JSONValue)]) -> JSONValue? {
        fields.first { $0.key == key }?.value
    }

    private static func string(_ key: String, in fields: [(key: String, value: JSONValue)]) -> String? {
        if case .string(let text)? = value(key, in: fields) { text } else { nil }
    }

    /// The reason of the timeline's extension step.
    private static func extensionReason(in objection: [(key: String, value: JSONValue)]) -> String? {
        guard case .array(let steps)? = value("timeline", in: objection) else { return nil }
        for case .object(let step) in steps where string("event", in: step) == "extended" { return string("reason", in: step) }
        return nil
    }
}
