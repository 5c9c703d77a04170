#if canImport(Glibc)
    import Glibc
#endif

/// Asks for a passphrase on the controlling terminal (`/dev/tty`) with echo off.
public enum PassphrasePrompt {
    /// Reads a passphrase from the controlling terminal with echo off.
    public static func read(prompt: String, confirm: Bool) throws -> String {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard tty >= 0 else {
            throw StatusError(.keyError, "no terminal to ask for a passphrase: use --passphrase-env VAR in scripts")
        }
        defer { close(tty) }
        func ask(_ text: String) throws -> String {
            // Echo off before the prompt appears, so that nothing typed after seeing it is echoed.
            var saved = termios()
            tcgetattr(tty, &saved)
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(tty, TCSANOW, &silent)
            _ = text.utf8CString.withUnsafeBufferPointer { write(tty, $0.baseAddress, $0.count - 1) }
            defer {
                tcsetattr(tty, TCSANOW, &saved)
                _ = write(tty, "\n", 1)
            }
            var bytes: [UInt8] = []
            var byte: UInt8 = 0
            while Glibc.read(tty, &byte, 1) == 1, byte != 0x0A, byte != 0x0D {
                bytes.append(byte)
                if bytes.count > 4096 { throw StatusError(.keyError, "passphrase longer than 4096 bytes") }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let first = try ask(prompt)
        guard !first.isEmpty else { throw StatusError(.keyError, "empty passphrase") }
        if confirm, try ask("Confirm passphrase: ") != first {
            throw StatusError(.keyError, "the passphrases do not match")
        }
        return first
    }
}
