import ConsentCore
import ConsentFormats
import Foundation

/// The JSON report of a filter run (`--report`): what went in, what came out, and why every
/// dropped record was dropped. Every reason is listed, with 0 when none was dropped for it.
public enum FilterReport {
    public static func json(_ result: FilterResult, decisions: GateDecisions, options: FilterOptions, output: String) -> String {
        var report = JSONObjectWriter()
        report.field("as_of", jsonStringLiteral(Timestamp.format(decisions.asOf)))
        report.field("decided_at", JSONWriter.optional(decisions.decidedAt.map(Timestamp.format)))
        report.field("decisions", jsonStringLiteral(decisions.source))
        var dropped = JSONObjectWriter()
        let reasons = DropReason.allCases.sorted { $0.code.utf8.lexicographicallyPrecedes($1.code.utf8) }
        for reason in reasons { dropped.field(reason.code, String(result.dropped[reason] ?? 0)) }
        report.field("dropped", dropped.finish())
        report.field("dropped_total", String(result.records - result.kept))
        report.field("inputs", JSONWriter.array(result.inputs.map { input in
            var object = JSONObjectWriter()
            object.field("bytes", String(input.bytes))
            object.field("path", jsonStringLiteral(input.path))
            object.field("records", String(input.records))
            object.field("sha256", JSONWriter.optional(input.sha256))
            return object.finish()
        }))
        report.field("kept", String(result.kept))
        report.field("lookback_start", JSONWriter.optional(decisions.lookbackStart.map(Timestamp.format)))
        report.field("member_field", jsonStringLiteral(options.memberField))
        var out = JSONObjectWriter()
        out.field("bytes", String(result.outputBytes))
        out.field("path", jsonStringLiteral(output))
        out.field("records", String(result.kept))
        out.field("sha256", JSONWriter.optional(result.outputSHA256))
        report.field("output", out.finish())
        report.field("policy_sha256", JSONWriter.optional(decisions.policySHA256))
        report.field("policy_version", JSONWriter.optional(decisions.policyVersion))
        report.field("records", String(result.records))
        report.field("seconds", String(format: "%.3f", result.seconds))
        var objections = JSONObjectWriter()
        for id in result.thirdParty.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            objections.field(id, String(result.thirdParty[id]!))
        }
        report.field("third_party_objections", objections.finish())
        report.field("threads", String(options.threads))
        report.field("throughput_mb_per_s", String(format: "%.1f", result.seconds > 0 ? Double(result.inputBytes) / 1e6 / result.seconds : 0))
        report.field("time_field", JSONWriter.optional(options.timeField))
        report.field("tool", jsonStringLiteral("consentry " + GateVersion.tool))
        return report.finish()
    }
}

public enum GateVersion {
    /// The tool version written into reports and manifests.
    public static let tool = "0.5.0"
}
