import ConsentCore
import ConsentFormats
import Foundation
import Testing

struct JSONLinesTests {
    @Test func linesAreNumberedFromOneSkippingBlankOnesAndCarriageReturns() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "{\"member\": \"a\", \"choice\": \"on\", \"at\": \"2025-01-01\"}\r\n\n  \n{\"member\": \"b\", \"choice\": \"x\", \"at\": \"2025-01-01\"}"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let lines = Array(try JSONLines(path: path) { bytes, source, line in
            ImportRecords.consent(bytes, source: source, line: line, actor: "t")
        })
        #expect(lines.map(\.line) == [1, 4])
        #expect((try? lines[0].record.get())?.member == MemberID("a"))
        guard case .failure(let error) = lines[1].record else {
            Issue.record("line 4 should fail")
            return
        }
        #expect(error.description == "\(path):4: choice: must be \"on\" or \"off\"")
    }

    @Test func aMissingFileIsAClearError() {
        #expect(throws: ConsentError.self) {
            try JSONLines(path: "/nonexistent/x.jsonl") { _, _, _ in Result<Int, ConsentError>.success(0) }
        }
    }
}
