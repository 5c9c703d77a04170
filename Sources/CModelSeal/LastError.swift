#if canImport(Glibc)
    import Glibc
#endif

/// The calling thread's message of its last failed call (`lastError`).
///
/// Kept in a pthread key as a `malloc`ed C string, freed when replaced or when the thread exits.
enum LastError {
    private static let empty: StaticString = ""

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    static func set(_ message: String) {
        let copy = strdup(message)
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, copy)
        free(previous)
    }

    static func clear() {
        guard let previous = pthread_getspecific(key) else { return }
        pthread_setspecific(key, nil)
        free(previous)
    }

    static var current: UnsafePointer<CChar> {
        if let message = pthread_getspecific(key) { return UnsafePointer(message.assumingMemoryBound(to: CChar.self)) }
        return UnsafeRawPointer(empty.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

/// The message of the calling thread's last failed call, or "".
@_cdecl("modelseal_last_error")
public func lastError() -> UnsafePointer<CChar> {
    LastError.current
}
