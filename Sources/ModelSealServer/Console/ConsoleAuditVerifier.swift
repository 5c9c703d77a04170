/// Runs the audit chain's incremental verification off the request path (docs/CONSOLE.md §Audit chain
/// status): a page view reads the recorded status and, when entries are unverified, starts one
/// background pass per store that verifies them in small transactions, so no page waits for hashing
/// and no other request waits long for the store.
actor ConsoleAuditVerifier {
    static let shared = ConsoleAuditVerifier()
    static let step = 100
    private var running: Set<ObjectIdentifier> = []

    /// Starts a pass for `store` unless one is running; returns at once.
    nonisolated func catchUp(_ store: any ConsoleStore, clock: @escaping @Sendable () -> Int64) {
        Task.detached(priority: .background) { await self.run(store, clock: clock) }
    }

    private func run(_ store: any ConsoleStore, clock: @Sendable () -> Int64) async {
        let key = ObjectIdentifier(store as AnyObject)
        guard !running.contains(key) else { return }
        running.insert(key)
        defer { running.remove(key) }
        while let status = try? await store.verifyAuditIncrementally(budget: Self.step, now: clock()),
            status.brokenAt == nil, status.verifiedThrough < status.lastSequence
        {
            await Task.yield()
        }
    }
}
