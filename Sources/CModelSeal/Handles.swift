import ModelSealKit
import Synchronization

/// The table of live handles: every handle a caller passes in is looked up here first, so a
/// stale (closed), foreign or wrong-kind pointer is refused with a usage error instead of being
/// dereferenced. A handle's address is its object's address; the table keeps the object alive
/// until it is closed, and a call in progress keeps its own reference, so closing a handle while
/// another thread uses it is safe.
enum Handles {
    private static let live = Mutex<[UInt: AnyObject & Sendable]>([:])

    /// Registers `object` and returns its opaque handle.
    static func register(_ object: AnyObject & Sendable) -> OpaquePointer {
        let address = Unmanaged.passUnretained(object).toOpaque()
        live.withLock { $0[UInt(bitPattern: address)] = object }
        return OpaquePointer(address)
    }

    /// The object behind `handle` if it is live and of type `T`.
    static func lookup<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type, _ name: String) throws -> T {
        guard let handle else { throw Argument.usage("\(name) is NULL") }
        let object = live.withLock { $0[UInt(bitPattern: UnsafeRawPointer(handle))] }
        guard let typed = object as? T else {
            throw Argument.usage("\(name) is not a live \(name) handle (already closed, or another kind of handle)")
        }
        return typed
    }

    /// Forgets `handle` if it is live and of type `T`; returns whether it was.
    @discardableResult
    static func remove<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type) -> Bool {
        guard let handle else { return false }
        let key = UInt(bitPattern: UnsafeRawPointer(handle))
        let removed: (AnyObject & Sendable)? = live.withLock { table in
            guard table[key] is T else { return nil }
            return table.removeValue(forKey: key)
        }
        return removed != nil
    }
}
