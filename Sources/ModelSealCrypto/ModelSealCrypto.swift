/// Sealing and opening of ModelSeal containers.
public enum ModelSealCrypto {}
