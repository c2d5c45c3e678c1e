import CScan
import ConsentFormats
import ConsentTesting
import Testing

/// ``JSONScanner/readString()`` reads 64 bytes at a time as bit masks, in C, with the widest
/// SIMD the processor has; these tests hold it, and each of the C scanner's versions this
/// processor can run, to a plain reading one byte at a time, on strings full of what makes the masks hard: escapes
/// across window edges, runs of backslashes, `\u` escapes, control bytes, strings that end in
/// the last window of the input.
struct JSONStringScanTests {
    /// What reading one string gives: its contents' range and whether it has escapes, or the
    /// error (message and offset), and where the scanner stopped.
    enum Outcome: Equatable {
        case token(Range<Int>, Bool, Int)
        case failure(String, at: Int)
    }

    /// The reference: RFC 8259's string grammar, one byte at a time.
    static func reference(_ bytes: [UInt8], from offset: Int) -> Outcome {
        var position = offset
        func fail(_ message: String, at: Int? = nil) -> Outcome { .failure(message, at: at ?? position) }
        guard position < bytes.count, bytes[position] == 0x22 else { return fail("expected a string") }
        position += 1
        let start = position
        var escapes = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == 0x22 { return .token(start..<position, escapes, position + 1) }
            if byte == 0x5C {
                escapes = true
                position += 1
                guard position < bytes.count else { break }
                switch bytes[position] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: position += 1
                case 0x75:
                    let hex = Set(Array("0123456789abcdefABCDEF".utf8))
                    guard position + 4 < bytes.count, (1...4).allSatisfy({ hex.contains(bytes[position + $0]) }) else {
                        return fail("a \\u escape needs four hex digits")
                    }
                    position += 5
                default: return fail("unknown escape")
                }
                continue
            }
            if byte < 0x20 { return fail("a control character must be escaped inside a string") }
            position += 1
        }
        return fail("unterminated string", at: start - 1)
    }

    /// The C scanner's versions this processor runs: portable C, SSE2, AVX2, AVX-512BW.
    static let levels = (0...3).filter { level in
        var result = consentry_string_scan()
        return [UInt8](repeating: 0x22, count: 2).withUnsafeBufferPointer { consentry_scan_string_using(Int32(level), $0.baseAddress, 2, 1, &result) } == 1
    }

    /// The outcome as one version of the C scanner reports it.
    static func scanned(_ bytes: [UInt8], level: Int) -> Outcome {
        guard bytes.first == 0x22 else { return .failure("expected a string", at: 0) }
        var result = consentry_string_scan()
        _ = bytes.withUnsafeBufferPointer { consentry_scan_string_using(Int32(level), $0.baseAddress, $0.count, 1, &result) }
        let offset = Int(result.offset)
        switch Int(result.status) {
        case CONSENTRY_STRING_OK: return .token(1..<offset, result.hasEscapes != 0, offset + 1)
        case CONSENTRY_STRING_CONTROL: return .failure("a control character must be escaped inside a string", at: offset)
        case CONSENTRY_STRING_BAD_UNICODE: return .failure("a \\u escape needs four hex digits", at: offset)
        case CONSENTRY_STRING_UNKNOWN_ESCAPE: return .failure("unknown escape", at: offset)
        default: return .failure("unterminated string", at: 0)
        }
    }

    static func scanned(_ bytes: [UInt8], from offset: Int) -> Outcome {
        bytes.withUnsafeBufferPointer { buffer -> Outcome in
            var scanner = JSONScanner(UnsafeBufferPointer(rebasing: buffer[offset...]))
            do throws(JSONSyntaxError) {
                let token = try scanner.readString()
                return .token((token.range.lowerBound + offset)..<(token.range.upperBound + offset), token.hasEscapes, scanner.position + offset)
            } catch {
                return .failure(error.message, at: error.offset + offset)
            }
        }
    }

    /// Bytes chosen to make windows hard: plain text, quotes, backslashes, escape letters, hex
    /// digits, control bytes and bytes of multi-byte UTF-8.
    static let alphabet: [UInt8] = Array(#"aaaaaaaa  \\\\\\""/bfnrtu0123Fx"#.utf8) + [0x0A, 0x09, 0x01, 0x1F, 0xC3, 0xA9, 0xF0, 0x9F, 0x7F]

    @Test func readsStringsAsAByteByByteReaderDoes() {
        var generator = SplitMix64(seed: 20261202)
        var mismatches: [String] = []
        for trial in 0..<30_000 {
            let length = Int(generator.next() % 300)
            // Mostly valid-looking text: a quote, then bytes where specials are rarer or denser.
            let density = Int(generator.next() % 4)
            var bytes: [UInt8] = [0x22]
            for _ in 0..<length {
                let pick = generator.next()
                if pick % 8 < 8 - 2 * UInt64(density) {
                    bytes.append(UInt8(0x61 + pick % 26))
                } else {
                    bytes.append(Self.alphabet[Int(pick / 8 % UInt64(Self.alphabet.count))])
                }
            }
            if generator.next() % 4 != 0 { bytes.append(0x22) }
            bytes.append(contentsOf: Array("x".utf8).prefix(Int(generator.next() % 2)))
            let expected = Self.reference(bytes, from: 0)
            let got = Self.scanned(bytes, from: 0)
            if got != expected, mismatches.count < 5 {
                mismatches.append("trial \(trial), \(bytes): expected \(expected), got \(got)")
            }
            for level in Self.levels where Self.scanned(bytes, level: level) != expected && mismatches.count < 5 {
                mismatches.append("trial \(trial), level \(level), \(bytes): expected \(expected), got \(Self.scanned(bytes, level: level))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }

    /// Every escape at every offset around the window edges (63, 64, 65 bytes in).
    @Test(arguments: [#"\""#, #"\\"#, #"\/"#, #"\n"#, #"\u00e9"#, #"\uD83D\uDE80"#, #"\x"#, #"\u12"#, #"\u12G4"#, "\u{01}", #"\\\""#, #"\\\\"#])
    func escapesAtEveryOffsetAroundTheWindowEdges(_ escape: String) {
        for before in 0..<140 {
            for tail in ["\"", "\" ", "", "\"\u{0A}"] {
                let bytes = [0x22] + [UInt8](repeating: 0x61, count: before) + Array(escape.utf8) + Array("bc".utf8) + Array(tail.utf8)
                let expected = Self.reference(bytes, from: 0)
                #expect(Self.scanned(bytes, from: 0) == expected, "\(before) bytes, then \(escape), then \(tail.debugDescription)")
                for level in Self.levels {
                    #expect(Self.scanned(bytes, level: level) == expected, "level \(level): \(before) bytes, then \(escape), then \(tail.debugDescription)")
                }
            }
        }
    }

    @Test func everyVersionThisProcessorHasIsTested() {
        #expect(Self.levels.contains(0))
        #if arch(x86_64)
        #expect(Self.levels.contains(1))
        #endif
    }

    @Test func aQuoteAfterAnEvenRunOfBackslashesEndsTheString() {
        for run in 0..<130 {
            let text = "\"" + String(repeating: "\\", count: run) + "\"" + (run % 2 == 1 ? "\"" : "")
            let bytes = Array(text.utf8)
            let expectedEnd = run % 2 == 0 ? run + 1 : run + 2
            #expect(Self.scanned(bytes, from: 0) == .token(1..<expectedEnd, run > 0, expectedEnd + 1), "a run of \(run)")
            for level in Self.levels {
                #expect(Self.scanned(bytes, level: level) == .token(1..<expectedEnd, run > 0, expectedEnd + 1), "level \(level), a run of \(run)")
            }
        }
    }
}
