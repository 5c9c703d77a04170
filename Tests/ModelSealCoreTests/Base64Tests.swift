import TestSupport
import Testing

@testable import ModelSealCore

@Suite("One base64: standard and URL-safe, strict")
struct Base64Tests {
    @Test("RFC 4648 §10 vectors in both alphabets, padded and not")
    func vectors() {
        let cases = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ]
        for (plain, encoded) in cases {
            let bytes = Array(plain.utf8)
            #expect(Base64.encode(bytes) == encoded)
            #expect(Base64.decode(encoded) == bytes)
            let unpadded = String(encoded.filter { $0 != "=" })
            #expect(Base64.encode(bytes, padded: false) == unpadded)
            #expect(Base64.decode(unpadded, padding: .optional) == bytes)
            #expect(Base64.decode(unpadded, alphabet: .urlSafe, padding: .forbidden) == bytes)
        }
        #expect(Base64.encode([0xFB, 0xFF], alphabet: .urlSafe) == "-_8=")
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
    }

    @Test(
        "refused: other alphabet, whitespace, stray bits, bad padding",
        arguments: [
            ("-_8=", Base64.Alphabet.standard, Base64.Padding.required), ("+/8=", .urlSafe, .required),
            ("Zm9v\n", .standard, .optional), ("Zh==", .standard, .required), ("Zm9=", .standard, .required),
            ("Zg", .standard, .required), ("Zg==", .standard, .forbidden), ("Z===", .standard, .optional),
            ("Zm9vY", .standard, .optional), ("Zg=", .standard, .optional), ("Z=g=", .standard, .required),
        ])
    func refused(_ testCase: (String, Base64.Alphabet, Base64.Padding)) {
        #expect(Base64.decode(testCase.0, alphabet: testCase.1, padding: testCase.2) == nil, "\(testCase.0)")
    }

    @Test("seeded round trip: decode(encode(x)) == x and every byte string has one text")
    func roundTrip() {
        var generator = SplitMix64(seed: 64)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            for alphabet in [Base64.Alphabet.standard, .urlSafe] {
                let text = Base64.encode(bytes, alphabet: alphabet)
                #expect(Base64.decode(text, alphabet: alphabet) == bytes)
            }
        }
    }

    @Test("errors name the offending character's offset")
    func errorOffsets() throws {
        let error = try #require(throws: Base64.DecodingError.self) {
            try Base64.decodeChecked(Array("QUJ DRA=".utf8))
        }
        #expect(error.offset == 3)
        #expect(error.reason.contains("whitespace"))
    }
}

@Suite("One parallel map")
struct ParallelTests {
    @Test("results come back in index order whatever the worker count")
    func ordered() {
        for workers in [1, 2, 7] {
            let squares = Parallel.map(1000, workers: workers) { $0 * $0 }
            #expect(squares == (0..<1000).map { $0 * $0 })
        }
        #expect(Parallel.map(0) { $0 }.isEmpty)
    }

    struct Failure: Error, Equatable { let index: Int }

    @Test("the error of the lowest failing index is thrown, after every worker has stopped")
    func firstError() {
        #expect(throws: Failure(index: 10)) {
            try Parallel.map(100, workers: 4) { (index) throws(Failure) -> Int in
                if index % 10 == 0 && index > 0 { throw Failure(index: index) }
                return index
            }
        }
    }

    @Test("batches fit the memory budget")
    func batches() {
        #expect(Parallel.batchCount(itemSize: 1 << 20) * (1 << 20) <= Parallel.batchBudget)
        #expect(Parallel.batchCount(itemSize: Parallel.batchBudget * 2) == 1)
    }
}
