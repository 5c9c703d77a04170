import ModelSealKit
import Synchronization

/// The table of live handles: every handle a caller passes in is looked up here first, so a
/// stale (closed), foreign or wrong-kind pointer is refused with a usage error instead of being
/// dereferenced. A handle is a number, never an address, and numbers are never reused, so a
/// closed handle stays invalid even after its memory is reused. The table keeps the object alive
/// until it is closed, and a call in progress keeps its own reference, so closing a handle while
/// another thread uses it is safe.
enum Handles {
    private struct Table {
        var objects: [UInt: AnyObject & Sendable] = [:]
        /// The next handle number: non-zero, 16-aligned like a pointer, 2^60 handles before wrapping.
        var next: UInt = 0x1000
    }

    private static let live = Mutex(Table())

    /// Registers `object` and returns its opaque handle.
    static func register(_ object: AnyObject & Sendable) -> OpaquePointer? {
        let number = live.withLock { table in
            let number = table.next
            table.next &+= 0x10
            table.objects[number] = object
            return number
        }
        return OpaquePointer(bitPattern: number)
    }

    /// The object behind `handle` if it is live and of type `T`.
    static func lookup<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type, _ name: String) throws -> T {
        guard let handle else { throw Argument.usage("\(name) is NULL") }
        let object = live.withLock { $0.objects[UInt(bitPattern: UnsafeRawPointer(handle))] }
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
            guard table.objects[key] is T else { return nil }
            return table.objects.removeValue(forKey: key)
        }
        return removed != nil
    }
}
