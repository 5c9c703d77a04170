import ArticleCompat
import ContainerEngine
import ModelSealKeys
import Testing

@Suite("Key text encodings")
struct KeyTextTests {
    // Printed by `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
    static let fernetKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

    @Test func acceptsFernetKeysWithAndWithoutPaddingAndWhitespace() throws {
        let key = try RawKeyText.decode(Array(Self.fernetKey.utf8))
        #expect(key.bytes.count == 32)
        #expect(RawKeyText.encode(key) == Self.fernetKey)
        #expect(try RawKeyText.decode(Array(String(Self.fernetKey.dropLast()).utf8)).bytes == key.bytes)
        #expect(try RawKeyText.decode(Array(("  " + Self.fernetKey + "\r\n").utf8)).bytes == key.bytes)
    }

    @Test(arguments: [
        "", "abc", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4==", "cw_0x689RpI+jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",
        "cw_0x689RpI-jtRR7oE8h eQsKImvJapLeSbXpwF4e4=", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e5=",
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4",
    ])
    func rejectsMalformedKeyText(text: String) {
        // The last case is valid only because it is the unpadded form: skip it.
        if text == String(Self.fernetKey.dropLast()) { return }
        #expect(throws: KeyError.self) { try RawKeyText.decode(Array(text.utf8)) }
    }

    @Test func encodesRandomKeysCanonically() throws {
        for _ in 0..<200 {
            let key = RawKey.generate()
            let text = RawKeyText.encode(key)
            #expect(text.count == 44)
            #expect(try RawKeyText.decode(Array(text.utf8)).bytes == key.bytes)
        }
    }

    @Test func recipientAndIdentityRoundTrip() throws {
        let identity = X25519Identity.generate()
        let recipientText = KeyText.encode(identity.recipient)
        let identityText = KeyText.encode(identity)
        #expect(recipientText.hasPrefix("modelseal1"))
        #expect(identityText.hasPrefix("MODELSEAL-SECRET-KEY-1"))
        #expect(try KeyText.recipient(recipientText) == identity.recipient)
        #expect(try KeyText.recipient(recipientText.uppercased()) == identity.recipient)
        #expect(try KeyText.identity(identityText).rawRepresentation == identity.rawRepresentation)
    }

    @Test func bech32CatchesTyposAndMixups() throws {
        let identity = X25519Identity.generate()
        let recipient = KeyText.encode(identity.recipient)
        var characters = Array(recipient)
        let position = 20
        characters[position] = characters[position] == "q" ? "p" : "q"
        #expect(throws: KeyError.self) { try KeyText.recipient(String(characters)) }
        #expect(throws: KeyError.self) { try KeyText.recipient(String(recipient.dropLast())) }
        #expect(throws: KeyError.self) { try KeyText.recipient(KeyText.encode(identity)) }
        #expect(throws: KeyError.self) { try KeyText.identity(recipient) }
        let mixed = "Modelseal1" + recipient.dropFirst(10)
        #expect(throws: KeyError.self) { try KeyText.recipient(mixed) }
    }
}
