"""Hugging Face transformers from a sealed model folder, with no plaintext on disk.

    import transformers, modelseal.transformers
    model = modelseal.transformers.from_pretrained(transformers.AutoModelForCausalLM, "gpt2-sealed", key=...)

The configuration comes from the sealed `config.json`, decrypted in memory; the model is built from it
and filled shard by shard, tensor by tensor (`modelseal.load_into`), after the folder's set manifest
was checked (docs/LARGE-MODELS.md).
"""
from __future__ import annotations

import json
import logging
import time

from . import _errors, _folder, _load_into, _server

log = logging.getLogger("modelseal")

#: from_pretrained arguments that choose where and how the weights live, handled here.
_DEVICE_ARGUMENTS = ("device_map", "device")


def _config(model_class, document: dict, config_kwargs: dict):
    import transformers

    config_class = getattr(model_class, "config_class", None)
    if config_class is None or config_class is transformers.PretrainedConfig:
        model_type = document.get("model_type")
        if model_type is None:
            raise _errors.ModelFormatError("the sealed config.json has no model_type", 50)
        config_class = transformers.AutoConfig.for_model(model_type).__class__
    return config_class.from_dict(dict(document), **config_kwargs)


def _build(model_class, config, kwargs: dict):
    import torch

    dtype = kwargs.pop("torch_dtype", None) or kwargs.pop("dtype", None)
    if isinstance(dtype, str) and dtype != "auto":
        dtype = getattr(torch, dtype)
    if dtype == "auto":
        dtype = None
    build = getattr(model_class, "from_config", None) or getattr(model_class, "_from_config")
    options = dict(kwargs)
    if dtype is not None:
        options["torch_dtype"] = dtype
    return build(config, **options)


def from_pretrained(model_class, sealed_dir, *, key=None, identity=None, passphrase: str | None = None, trust=None,
                    license=None, server=None, **kwargs):
    """`model_class.from_pretrained(plain_dir, **kwargs)` for a sealed folder: the same model, in eval mode.

    `model_class` is an Auto class (`transformers.AutoModelForCausalLM`) or a model class
    (`transformers.GPT2LMHeadModel`). Keys as for `modelseal.load`. Of from_pretrained's own
    arguments, `torch_dtype`/`dtype`, `device_map` (a single device: "cpu", "cuda:0"), `attn_implementation`
    and config overrides (`num_labels=...`) are honoured; sharded device maps are not."""
    if server is not None:
        _server.refuse_folder(server, sealed_dir)
    started = time.perf_counter()
    keys = dict(key=key, identity=identity, passphrase=passphrase, trust=trust, license=license)
    device = None
    for name in _DEVICE_ARGUMENTS:
        value = kwargs.pop(name, None)
        if value is not None:
            if isinstance(value, dict):
                raise _errors.NotSupportedError("device_map as a dict is not supported: give one device")
            device = None if value == "auto" else value
    model_kwargs = {name: kwargs.pop(name) for name in ("attn_implementation", "torch_dtype", "dtype") if name in kwargs}
    with _folder.Folder(sealed_dir, **keys) as folder:
        if "config.json" not in [member["name"] for member in folder.members]:
            raise _errors.ModelFormatError(f"{sealed_dir} has no config.json: not a Hugging Face model folder", 50)
        config = _config(model_class, json.loads(folder.read("config.json")), kwargs)
        model = _build(model_class, config, model_kwargs)
        _load_into.load_into(model, folder, device=device, strict=True)
    model.eval()
    log.info("modelseal: from_pretrained %s from %s in %.1f ms", type(model).__name__, sealed_dir,
             (time.perf_counter() - started) * 1e3)
    return model
