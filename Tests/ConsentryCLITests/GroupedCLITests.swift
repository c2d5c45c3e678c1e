import Foundation
import Testing

extension CLISuite {
    /// `consentry help` reads by group, and the spellings of before the grouping still run.
    struct GroupedCLITests {
        @Test func helpListsTheCommandsByGroup() throws {
            let help = try CLIRunner().run(["help"], withDB: false)
            for group in ["START HERE", "POLICY AND MEMBERS", "DECISIONS", "TRAINING DATA", "OBJECTIONS", "PROOF", "RUNNING THE SERVICE"] {
                #expect(help.stdout.contains(group + " SUBCOMMANDS:"), "\(group)")
            }
            for old in ["  set ", "  filter ", "  purge ", "  outbox ", "  receipt "] {
                #expect(!help.stdout.contains(old), "the old spelling \(old) is hidden")
            }
            let datasets = try CLIRunner().run(["help", "datasets"], withDB: false).stdout
            for command in ["filter", "export", "snapshot", "list", "show", "verify", "purge", "lineage"] {
                #expect(datasets.contains("  \(command) "), "datasets \(command)")
            }
        }

        @Test func anOldSpellingRunsAndSaysWhereItMoved() throws {
            let cli = try CLITests().seeded()
            let old = try cli.run(["set", "--member", "urn:li:member:3", "--choice", "off"])
            #expect(old.status == 0 && old.stdout.contains(#""choice":"off""#))
            #expect(old.stderr.contains("consentry set has moved to consentry member set"))
            let new = try cli.run(["member", "set", "--member", "urn:li:member:3", "--choice", "on"])
            #expect(new.status == 0 && new.stderr.isEmpty && new.stdout.contains(#""choice":"on""#))
            let outbox = try cli.run(["outbox", "list"])
            #expect(outbox.status == 0 && outbox.stderr.contains("consentry objections outbox list"))
            // Its arguments are checked as before.
            let bad = try cli.run(["set", "--member", "urn:li:member:3", "--choice", "maybe"])
            #expect(bad.status == 64)
        }
    }
}
