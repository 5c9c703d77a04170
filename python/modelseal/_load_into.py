"""`load_into`: fill an existing module tensor by tensor from a sealed safetensors file or sealed folder.

A tensor whose place in the model is CPU memory of the file's dtype and shape (the common case: a model
built on the CPU in the checkpoint's dtype) is decrypted (verified) straight into that memory: all of a
shard's such tensors in one library call that opens each chunk once (`modelseal_file_read_extents`), no
buffer and no copy. A tensor that exists in the model but not in that form (another dtype, a CUDA model,
tied or aliased weights) is decrypted a window at a time into a reused staging buffer and copied into place
(`_staging`: on CUDA pinned buffers, the copies to the device overlapping the next window's decryption;
untested, there is no GPU here). With `assign=True` or a meta model each tensor is decrypted by random access
into memory of its own and assigned. Peak host memory is the model plus one decryption batch and one staging
window (the largest staged tensor if bigger; two windows on CUDA), not twice the model (docs/LARGE-MODELS.md).
If a chunk fails, the tensors that call was filling are zeroed and the error is raised: the model is then
partly loaded and must not be used."""
from __future__ import annotations

import logging
import os
import time
from typing import NamedTuple

from . import _errors, _folder, _safetensors, _server, _staging

log = logging.getLogger("modelseal")


class LoadResult(NamedTuple):
    """Like `torch.nn.Module.load_state_dict`'s result."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _slots(model) -> dict:
    """name -> (module, attribute, is_parameter) for every parameter and persistent buffer."""
    slots = {}
    for module_name, module in model.named_modules(remove_duplicate=False):
        prefix = module_name + "." if module_name else ""
        for name in module._parameters:
            if module._parameters[name] is not None:
                slots[prefix + name] = (module, name, True)
        persistent = getattr(module, "_non_persistent_buffers_set", set())
        for name in module._buffers:
            if module._buffers[name] is not None and name not in persistent:
                slots[prefix + name] = (module, name, False)
    return slots


def _current(slot):
    """The model's tensor in `slot` (a parameter or a buffer)."""
    module, name, is_parameter = slot
    return module._parameters[name] if is_parameter else module._buffers[name]


def _place(slot, tensor, assign: bool) -> None:
    import torch

    module, name, is_parameter = slot
    current = _current(slot)
    if tuple(current.shape) != tuple(tensor.shape):
        raise _errors.ModelFormatError(
            f"{name}: the sealed tensor has shape {tuple(tensor.shape)}, the model's is {tuple(current.shape)}", 50)
    if assign or current.is_meta:
        value = tensor.to(device=current.device if not current.is_meta else tensor.device, dtype=current.dtype)
        if is_parameter:
            module._parameters[name] = torch.nn.Parameter(value, requires_grad=current.requires_grad)
        else:
            module._buffers[name] = value
        return
    with torch.no_grad():
        current.copy_(tensor)


def _direct_targets(source, slots: dict) -> list:
    """(entry, address, length) for each tensor of `source` that can be decrypted straight into its place:
    a contiguous CPU tensor of the file's dtype and shape, whose memory no other target overlaps (tied or
    aliased weights take the copying path, one after another)."""
    candidates = []
    for entry in source.entries():
        slot = slots.get(entry["name"])
        if slot is None:
            continue
        current = _current(slot)
        length = entry["end"] - entry["begin"]
        if (current.is_meta or current.device.type != "cpu" or not current.is_contiguous()
                or current.dtype != _safetensors.torch_dtype(entry["dtype"])
                or tuple(current.shape) != tuple(entry["shape"]) or length == 0
                or current.numel() * current.element_size() != length):
            continue
        candidates.append((entry, current.data_ptr(), length))
    candidates.sort(key=lambda target: target[1])
    overlapping, reach, owner = set(), -1, -1  # reach: the furthest end so far, owner: whose end it is
    for index, (_, address, length) in enumerate(candidates):
        if address < reach:
            overlapping.update((owner, index))
        if address + length > reach:
            reach, owner = address + length, index
    return [target for index, target in enumerate(candidates) if index not in overlapping]


def _stage(source, slots: dict, loaded: set) -> int:
    """Copies every tensor of `source` that has a place in the model, of the file's shape, not yet loaded and
    not to be assigned, through staging windows (`_staging`); returns the bytes staged."""
    stagers = {}
    for entry in source.entries():
        slot = slots.get(entry["name"])
        if slot is None or entry["name"] in loaded or entry["end"] == entry["begin"]:
            continue
        current = _current(slot)
        if current.is_meta or tuple(current.shape) != tuple(entry["shape"]):
            continue  # assigned or refused by the tensor-by-tensor path
        device = str(current.device)
        if device not in stagers:
            stagers[device] = _staging.Stager(source._sealed, current.device)
        stagers[device].add(entry, current)
        loaded.add(entry["name"])
    for stager in stagers.values():
        stager.finish()
    return sum(stager.staged_bytes for stager in stagers.values())


def _sources(path_or_dir, keys: dict):
    """(name, SafeOpen) for each safetensors source: the file itself, or every sealed shard of a folder."""
    if isinstance(path_or_dir, _folder.Folder) or _folder.is_sealed_folder(path_or_dir):
        opened = isinstance(path_or_dir, _folder.Folder)
        folder = path_or_dir if opened else _folder.Folder(path_or_dir, **keys)
        try:
            names = [name for name in folder.weight_names() if name.endswith(".safetensors")]
            if not names:
                raise _errors.NotSupportedError(
                    f"{folder.path} holds no sealed .safetensors: load_into reads safetensors shards "
                    "(convert PyTorch shards with `modelseal seal --to-safetensors`)")
            for name in names:
                with _safetensors.SafeOpen(None, _sealed=folder.open_member(name)) as source:
                    yield name, source
        finally:
            if not opened:
                folder.close()
    else:
        with _safetensors.SafeOpen(path_or_dir, **keys) as source:
            yield os.fspath(path_or_dir), source


def load_into(model, path_or_dir, *, device=None, strict: bool = True, assign: bool = False, key=None,
              identity=None, passphrase: str | None = None, trust=None, license=None, server=None) -> LoadResult:
    """Fills `model`'s parameters and persistent buffers from a sealed safetensors file or sealed folder,
    one tensor at a time (see the module documentation). `device` moves the model there first. With
    `strict`, a tensor the model lacks or a parameter no file holds raises `ModelFormatError` (tied
    weights that the checkpoint stores once count as held). Returns missing and unexpected keys."""
    keys = dict(key=key, identity=identity, passphrase=passphrase, trust=trust, license=license)
    if server is not None:
        _server.check_arguments(server, keys)
        if isinstance(path_or_dir, _folder.Folder) or _folder.is_sealed_folder(path_or_dir):
            _server.refuse_folder(server, getattr(path_or_dir, "path", path_or_dir))
        keys["server"] = server
    if device is not None:
        model.to(device)
    slots = _slots(model)
    loaded: set[str] = set()
    unexpected: list[str] = []
    started = time.perf_counter()
    total = 0
    for _, source in _sources(path_or_dir, keys):
        direct = [] if assign else _direct_targets(source, slots)
        source._sealed.read_extents([(entry["begin"], address, length) for entry, address, length in direct])
        for entry, _, length in direct:
            total += length
            loaded.add(entry["name"])
        if not assign:
            total += _stage(source, slots, loaded)
        for name in source.offset_keys():
            if name in loaded:
                continue
            slot = slots.get(name)
            if slot is None:
                unexpected.append(name)
                continue
            tensor = source.get_tensor(name)
            total += tensor.numel() * tensor.element_size()
            _place(slot, tensor, assign)
            del tensor
            loaded.add(name)
    tie = getattr(model, "tie_weights", None)
    if callable(tie):
        tie()
    missing = [name for name in slots if name not in loaded and not _is_tied(model, slots, name, loaded)]
    if strict and (missing or unexpected):
        raise _errors.ModelFormatError(
            f"the sealed weights do not fit the model: missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''} (strict=False to accept)", 50)
    log.info("modelseal: loaded %d tensors (%d bytes) into %s in %.1f ms", len(loaded), total,
             type(model).__name__, (time.perf_counter() - started) * 1e3)
    return LoadResult(missing, unexpected)


def _is_tied(model, slots: dict, name: str, loaded: set) -> bool:
    """Whether parameter `name` shares its storage with a loaded one (weights the checkpoint stores once)."""
    tensor = _current(slots[name])
    if tensor.is_meta:
        return False
    pointer = tensor.data_ptr()
    for other in loaded:
        other_tensor = _current(slots[other])
        if other_tensor.data_ptr() == pointer and tuple(other_tensor.shape) == tuple(tensor.shape):
            return True
    return False
