/// Splitting text files into lines the way their writers mean them.
enum TextLines {
    /// Lines split at LF with one trailing CR removed. (Swift's `Character` treats CR LF as one
    /// grapheme, so splitting a `String` at `"\n"` would miss CR LF line ends.)
    static func split(_ bytes: some Collection<UInt8>) -> [String] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line[...], as: UTF8.self)
        }
    }
}
