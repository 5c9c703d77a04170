"""ModelSeal for PyTorch: seal models, and load sealed models straight into memory.

    import modelseal
    modelseal.save(model.state_dict(), "model.mseal", recipients="modelseal1...")  # or key=, or $MODEL_KEY
    state = modelseal.load("model.mseal", identity="customer.key")                # torch.load(..., weights_only=True)
    model = modelseal.load_model(ResNet, "model.mseal", device="cuda")             # keys from $MODEL_KEY
    with modelseal.safe_open("model.safetensors.mseal", key=k) as f: f.get_tensor("w")  # random access
    modelseal.load_into(model, "llm-sealed/", key=k)                               # tensor by tensor
    modelseal.transformers.from_pretrained(AutoModelForCausalLM, "llm-sealed/", key=k)
    state = modelseal.load("model.mseal", server="http://127.0.0.1:8443")         # key from the vendor's server

Decryption runs in the bundled Swift library (libmodelseal_c.so); plaintext exists only in memory.
Errors are `modelseal.Error` subclasses sharing the status codes of the `modelseal` CLI.
"""
from ._errors import (
    EnvironmentMismatchError,
    Error,
    FormatError,
    InputError,
    InternalError,
    InvalidKeyError,
    LicenseError,
    LicenseExpiredError,
    LicenseRevokedError,
    ModelFormatError,
    NotActivatedError,
    NotSupportedError,
    OutputError,
    OverQuotaError,
    ServerPinError,
    ServerRefusedError,
    ServerUnreachableError,
    ServerUnreachableWarning,
    SignatureError,
    TamperedFileError,
    TruncatedFileError,
    UnsafeParametersError,
    UsageError,
    WrongKeyError,
)
from ._load import load, load_model
from ._load_into import load_into
from ._safetensors import safe_open
from ._save import save

__version__ = "0.1.0"

__all__ = [
    "save",
    "load",
    "load_model",
    "load_into",
    "safe_open",
    "library_version",
    "Error",
    "InternalError",
    "WrongKeyError",
    "TamperedFileError",
    "TruncatedFileError",
    "FormatError",
    "InvalidKeyError",
    "UnsafeParametersError",
    "InputError",
    "OutputError",
    "UsageError",
    "SignatureError",
    "LicenseError",
    "EnvironmentMismatchError",
    "ModelFormatError",
    "NotSupportedError",
    "NotActivatedError",
    "ServerRefusedError",
    "LicenseRevokedError",
    "LicenseExpiredError",
    "OverQuotaError",
    "ServerUnreachableError",
    "ServerPinError",
    "ServerUnreachableWarning",
]


def library_version() -> str:
    """The release of the bundled Swift library."""
    from . import _ffi

    return _ffi.lib().modelseal_version().decode()
