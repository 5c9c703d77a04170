/// Text encodings of keys, identity and recipient files, and key sources.
public enum ModelSealKeys {}
