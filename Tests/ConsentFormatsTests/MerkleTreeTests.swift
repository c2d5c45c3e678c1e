import ConsentFormats
import Foundation
import Testing

/// RFC 9162 §2.1 hashing, proofs and their verification.
struct MerkleTreeTests {
    /// The leaves of the RFC 6962 reference test data (certificate-transparency), and the heads
    /// of the trees of their first 1 to 8.
    static let leaves: [[UInt8]] = [[], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
                                    [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57], Array(0x60...0x6f)]
    static let heads = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test func headsMatchTheReferenceData() {
        let hashes = Self.leaves.map { MerkleTree.leafHash($0) }
        #expect(MerkleTree.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for size in 1...8 { #expect(MerkleTree.root(hashes[..<size]).hex == Self.heads[size - 1], "size \(size)") }
    }

    /// Leaf hashes of a tree of `n` leaves "leaf 0", "leaf 1", …
    func tree(_ n: Int) -> [TreeHash] { (0..<n).map { MerkleTree.leafHash(Array("leaf \($0)".utf8)) } }

    @Test func everyInclusionProofVerifiesAndNoAlteredOneDoes() {
        for size in 1...33 {
            let leaves = tree(size)
            let root = MerkleTree.root(leaves)
            for index in 0..<size {
                let proof = MerkleTree.inclusionProof(index: index, leaves: leaves[...])
                #expect(MerkleTree.verifyInclusion(leaf: leaves[index], index: index, size: size, proof: proof, root: root), "\(index) of \(size)")
                #expect(!MerkleTree.verifyInclusion(leaf: leaves[index], index: index + 1, size: size, proof: proof, root: root), "another index")
                if size > 1 {
                    #expect(!MerkleTree.verifyInclusion(leaf: leaves[(index + 1) % size], index: index, size: size, proof: proof, root: root), "another leaf")
                }
                if let first = proof.first {
                    var bytes = first.bytes
                    bytes[0] ^= 1
                    let altered = [TreeHash(bytes)!] + proof.dropFirst()
                    #expect(!MerkleTree.verifyInclusion(leaf: leaves[index], index: index, size: size, proof: altered, root: root))
                }
                #expect(!MerkleTree.verifyInclusion(leaf: leaves[index], index: index, size: size, proof: proof, root: MerkleTree.root(tree(size + 1))),
                        "another tree head")
            }
        }
    }

    @Test func everyConsistencyProofVerifiesAndNoAlteredOneDoes() {
        for second in 1...33 {
            let leaves = tree(second)
            let secondRoot = MerkleTree.root(leaves)
            for first in 1...second {
                let firstRoot = MerkleTree.root(leaves[..<first])
                let proof = MerkleTree.consistencyProof(first: first, leaves: leaves[...])
                #expect(MerkleTree.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: proof),
                        "\(first) → \(second)")
                guard first < second else { continue }
                // Another history of the same sizes: the first leaves rewritten.
                var rewritten = leaves
                rewritten[first - 1] = MerkleTree.leafHash(Array("changed".utf8))
                #expect(!MerkleTree.verifyConsistency(first: first, second: second, firstRoot: firstRoot,
                                                      secondRoot: MerkleTree.root(rewritten), proof: proof))
                #expect(!MerkleTree.verifyConsistency(first: first, second: second, firstRoot: firstRoot,
                                                      secondRoot: MerkleTree.root(rewritten),
                                                      proof: MerkleTree.consistencyProof(first: first, leaves: rewritten[...])))
                #expect(!MerkleTree.verifyConsistency(first: first, second: second, firstRoot: secondRoot, secondRoot: secondRoot, proof: proof))
            }
        }
    }
}
