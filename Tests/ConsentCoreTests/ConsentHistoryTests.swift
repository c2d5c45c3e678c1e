import ConsentCore
import ConsentTesting
import Foundation
import Testing

struct ConsentHistoryTests {
    /// Appending choices one by one, in ledger order, gives the same decision order as building
    /// the history from all of them: backdated choices and equal times included.
    @Test(arguments: 0..<50)
    func appendingOneByOneMatchesBuildingFromAll(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed))
        let member = MemberID("m")!
        let base = Date(timeIntervalSince1970: 1_750_000_000)
        var events: [ConsentEvent] = []
        var history = ConsentHistory.empty
        for sequence in 1...Int64(40) {
            // Mostly forward in time, sometimes backdated, often on an earlier event's instant.
            let offset = Double(Int.random(in: -5...20, using: &generator)) + Double(sequence) * 3
            let at = Int.random(in: 0..<4, using: &generator) == 0 && !events.isEmpty
                ? events[Int.random(in: 0..<events.count, using: &generator)].at : base.addingTimeInterval(offset)
            let event = ConsentEvent(member: member, choice: Bool.random(using: &generator) ? .on : .off,
                                     channel: Bool.random(using: &generator) ? .web : .gpc, at: at, actor: "m", sequence: sequence)
            events.append(event)
            history.append(event)
            #expect(Array(history.entries) == Array(ConsentHistory(events).entries), "after \(sequence) events")
        }
    }
}
