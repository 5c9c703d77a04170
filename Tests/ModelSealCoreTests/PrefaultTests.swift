#if os(Linux)
    import Glibc
    import Testing

    @testable import ModelSealCore

    @Suite("Prefault: the whole pages of a range faulted in writable, bytes unchanged")
    struct PrefaultTests {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))

        /// Maps `pages` fresh private anonymous pages (none resident until touched) for `body`.
        func withFreshPages(
            _ pages: Int, protection: Int32 = PROT_READ | PROT_WRITE, _ body: (UnsafeMutableRawPointer) -> Void
        ) {
            let mapping = mmap(nil, pages * page, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let mapping, mapping != MAP_FAILED else {
                Issue.record("mmap failed: errno \(errno)")
                return
            }
            defer { munmap(mapping, pages * page) }
            body(mapping)
        }

        /// Which of `pages` pages from `base` are resident (mincore).
        func resident(_ base: UnsafeMutableRawPointer, _ pages: Int) -> [Bool] {
            var vector = [UInt8](repeating: 0, count: pages)
            #expect(mincore(base, pages * page, &vector) == 0)
            return vector.map { $0 & 1 == 1 }
        }

        @Test("Only the whole pages inside the range become resident")
        func wholePagesOnly() {
            withFreshPages(16) { base in
                #expect(resident(base, 16) == Array(repeating: false, count: 16))
                // From the middle of page 2 to the middle of page 12: pages 3 ..< 12 are whole.
                Prefault.forWriting(UnsafeMutableRawBufferPointer(start: base + 2 * page + page / 2, count: 10 * page))
                #expect(resident(base, 16) == (0..<16).map { (3..<12).contains($0) })
            }
        }

        @Test("Bytes already written are left as they are")
        func contentUnchanged() {
            withFreshPages(8) { base in
                let bytes = UnsafeMutableRawBufferPointer(start: base, count: 8 * page)
                for index in stride(from: 0, to: bytes.count, by: 97) {
                    bytes[index] = UInt8(truncatingIfNeeded: index)
                }
                let before = Array(bytes)
                Prefault.forWriting(bytes)
                #expect(Array(bytes) == before)
            }
        }

        @Test("Memory it cannot fault in writable, empty and sub-page ranges: no effect, no crash")
        func bestEffort() {
            withFreshPages(4, protection: PROT_READ) { base in
                Prefault.forWriting(UnsafeMutableRawBufferPointer(start: base, count: 4 * page))
                #expect(resident(base, 4) == Array(repeating: false, count: 4))
            }
            withFreshPages(2) { base in
                Prefault.forWriting(UnsafeMutableRawBufferPointer(start: base + 1, count: page))
                Prefault.forWriting(UnsafeMutableRawBufferPointer(start: base, count: 0))
                #expect(resident(base, 2) == [false, false])
            }
        }
    }
#endif
